-- CreateTable
CREATE TABLE "IntelSource" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "date" TIMESTAMP(3) NOT NULL,
    "importedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IntelSource_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IntelRecord" (
    "id" TEXT NOT NULL,
    "sourceId" UUID NOT NULL,
    "summary" TEXT,
    "aliases" TEXT[],
    "modified" TIMESTAMP(3) NOT NULL,
    "withdrawn" TIMESTAMP(3),
    "record" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "IntelRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IntelPackage" (
    "recordId" TEXT NOT NULL,
    "ecosystem" "Ecosystem" NOT NULL,
    "name" TEXT NOT NULL,
    "versions" TEXT[],
    "ranges" JSONB NOT NULL,

    CONSTRAINT "IntelPackage_pkey" PRIMARY KEY ("recordId","ecosystem","name")
);

-- CreateTable
CREATE TABLE "OsvRecord" (
    "id" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "ecosystem" "Ecosystem" NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OsvRecord_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "IntelSource_name_key" ON "IntelSource"("name");

-- CreateIndex
CREATE INDEX "IntelPackage_ecosystem_name_idx" ON "IntelPackage"("ecosystem", "name");

-- CreateIndex
CREATE UNIQUE INDEX "OsvRecord_ecosystem_name_version_key" ON "OsvRecord"("ecosystem", "name", "version");

-- CreateIndex
CREATE UNIQUE INDEX "OsvRecord_year_seq_key" ON "OsvRecord"("year", "seq");

-- AddForeignKey
ALTER TABLE "IntelRecord" ADD CONSTRAINT "IntelRecord_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "IntelSource"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IntelPackage" ADD CONSTRAINT "IntelPackage_recordId_fkey" FOREIGN KEY ("recordId") REFERENCES "IntelRecord"("id") ON DELETE CASCADE ON UPDATE CASCADE;

