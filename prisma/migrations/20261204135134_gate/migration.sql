-- CreateTable
CREATE TABLE "GatePolicy" (
    "id" TEXT NOT NULL DEFAULT 'default',
    "policy" JSONB NOT NULL,
    "revision" INTEGER NOT NULL DEFAULT 1,
    "apiKeyId" UUID,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GatePolicy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GatePackagePolicy" (
    "ecosystem" "Ecosystem" NOT NULL,
    "name" TEXT NOT NULL,
    "failOn" TEXT,
    "failOnError" BOOLEAN,
    "cooldownSeconds" INTEGER,
    "reason" TEXT NOT NULL,
    "apiKeyId" UUID,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GatePackagePolicy_pkey" PRIMARY KEY ("ecosystem","name")
);

-- CreateTable
CREATE TABLE "GateApproval" (
    "id" UUID NOT NULL,
    "ecosystem" "Ecosystem" NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "apiKeyId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "GateApproval_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GateDecision" (
    "ecosystem" "Ecosystem" NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "served" BOOLEAN NOT NULL,
    "reason" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "firstAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GateDecision_pkey" PRIMARY KEY ("ecosystem","name","version")
);

-- CreateIndex
CREATE INDEX "GateApproval_ecosystem_name_version_idx" ON "GateApproval"("ecosystem", "name", "version");

-- CreateIndex
CREATE INDEX "GateDecision_lastAt_idx" ON "GateDecision"("lastAt" DESC);

