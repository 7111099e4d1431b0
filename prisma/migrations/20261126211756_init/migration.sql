-- CreateEnum
CREATE TYPE "Ecosystem" AS ENUM ('npm', 'pypi');

-- CreateEnum
CREATE TYPE "ArtifactSource" AS ENUM ('registry', 'upload');

-- CreateEnum
CREATE TYPE "AnalysisStatus" AS ENUM ('queued', 'running', 'completed', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "Verdict" AS ENUM ('malicious', 'suspicious', 'benign', 'error');

-- CreateEnum
CREATE TYPE "Severity" AS ENUM ('critical', 'high', 'medium', 'low', 'info');

-- CreateEnum
CREATE TYPE "ApiRole" AS ENUM ('read', 'submit', 'admin');

-- CreateTable
CREATE TABLE "Package" (
    "id" UUID NOT NULL,
    "ecosystem" "Ecosystem" NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Package_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Artifact" (
    "id" UUID NOT NULL,
    "packageId" UUID NOT NULL,
    "version" TEXT NOT NULL,
    "sha256" TEXT,
    "size" INTEGER,
    "source" "ArtifactSource" NOT NULL,
    "storedPath" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Artifact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Analysis" (
    "id" UUID NOT NULL,
    "artifactId" UUID NOT NULL,
    "status" "AnalysisStatus" NOT NULL DEFAULT 'queued',
    "stage" TEXT NOT NULL DEFAULT 'queued',
    "progress" INTEGER NOT NULL DEFAULT 0,
    "analyzerVersion" TEXT NOT NULL,
    "verdict" "Verdict",
    "score" INTEGER,
    "summary" TEXT,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "force" BOOLEAN NOT NULL DEFAULT false,
    "priority" INTEGER NOT NULL DEFAULT 1,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "baselineId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "timings" JSONB,
    "apiKeyId" UUID,

    CONSTRAINT "Analysis_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Finding" (
    "id" UUID NOT NULL,
    "analysisId" UUID NOT NULL,
    "rule" TEXT NOT NULL,
    "severity" "Severity" NOT NULL,
    "title" TEXT NOT NULL,
    "phase" TEXT,
    "evidenceHash" TEXT,

    CONSTRAINT "Finding_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Report" (
    "analysisId" UUID NOT NULL,
    "report" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Report_pkey" PRIMARY KEY ("analysisId")
);

-- CreateTable
CREATE TABLE "RawArtifact" (
    "id" UUID NOT NULL,
    "analysisId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "phase" TEXT,
    "encoding" TEXT NOT NULL DEFAULT 'gzip',
    "size" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3),

    CONSTRAINT "RawArtifact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "role" "ApiRole" NOT NULL,
    "hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "webhookUrl" TEXT,
    "webhookSecret" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Batch" (
    "id" UUID NOT NULL,
    "format" TEXT NOT NULL,
    "fileName" TEXT,
    "status" TEXT NOT NULL DEFAULT 'running',
    "policy" JSONB,
    "baseline" TEXT,
    "total" INTEGER NOT NULL DEFAULT 0,
    "skipped" JSONB,
    "apiKeyId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Batch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BatchItem" (
    "id" UUID NOT NULL,
    "batchId" UUID NOT NULL,
    "ecosystem" "Ecosystem" NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "line" INTEGER,
    "analysisId" UUID,

    CONSTRAINT "BatchItem_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Package_ecosystem_name_key" ON "Package"("ecosystem", "name");

-- CreateIndex
CREATE INDEX "Artifact_sha256_idx" ON "Artifact"("sha256");

-- CreateIndex
CREATE UNIQUE INDEX "Artifact_packageId_version_source_sha256_key" ON "Artifact"("packageId", "version", "source", "sha256");

-- CreateIndex
CREATE INDEX "Analysis_artifactId_analyzerVersion_status_idx" ON "Analysis"("artifactId", "analyzerVersion", "status");

-- CreateIndex
CREATE INDEX "Analysis_createdAt_id_idx" ON "Analysis"("createdAt" DESC, "id");

-- CreateIndex
CREATE INDEX "Analysis_status_idx" ON "Analysis"("status");

-- CreateIndex
CREATE INDEX "Analysis_verdict_idx" ON "Analysis"("verdict");

-- CreateIndex
CREATE INDEX "Finding_rule_severity_idx" ON "Finding"("rule", "severity");

-- CreateIndex
CREATE INDEX "Finding_analysisId_idx" ON "Finding"("analysisId");

-- CreateIndex
CREATE INDEX "RawArtifact_expiresAt_idx" ON "RawArtifact"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "RawArtifact_analysisId_kind_phase_key" ON "RawArtifact"("analysisId", "kind", "phase");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");

-- CreateIndex
CREATE INDEX "BatchItem_analysisId_idx" ON "BatchItem"("analysisId");

-- CreateIndex
CREATE UNIQUE INDEX "BatchItem_batchId_ecosystem_name_version_key" ON "BatchItem"("batchId", "ecosystem", "name", "version");

-- AddForeignKey
ALTER TABLE "Artifact" ADD CONSTRAINT "Artifact_packageId_fkey" FOREIGN KEY ("packageId") REFERENCES "Package"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Analysis" ADD CONSTRAINT "Analysis_artifactId_fkey" FOREIGN KEY ("artifactId") REFERENCES "Artifact"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Finding" ADD CONSTRAINT "Finding_analysisId_fkey" FOREIGN KEY ("analysisId") REFERENCES "Analysis"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Report" ADD CONSTRAINT "Report_analysisId_fkey" FOREIGN KEY ("analysisId") REFERENCES "Analysis"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RawArtifact" ADD CONSTRAINT "RawArtifact_analysisId_fkey" FOREIGN KEY ("analysisId") REFERENCES "Analysis"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BatchItem" ADD CONSTRAINT "BatchItem_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "Batch"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BatchItem" ADD CONSTRAINT "BatchItem_analysisId_fkey" FOREIGN KEY ("analysisId") REFERENCES "Analysis"("id") ON DELETE SET NULL ON UPDATE CASCADE;

