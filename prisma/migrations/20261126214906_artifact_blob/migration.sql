-- CreateTable
CREATE TABLE "ArtifactBlob" (
    "artifactId" UUID NOT NULL,
    "data" BYTEA NOT NULL,
    "size" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ArtifactBlob_pkey" PRIMARY KEY ("artifactId")
);

-- AddForeignKey
ALTER TABLE "ArtifactBlob" ADD CONSTRAINT "ArtifactBlob_artifactId_fkey" FOREIGN KEY ("artifactId") REFERENCES "Artifact"("id") ON DELETE CASCADE ON UPDATE CASCADE;

