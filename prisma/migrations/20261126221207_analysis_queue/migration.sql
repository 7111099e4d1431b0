-- AlterTable
ALTER TABLE "Analysis" ADD COLUMN     "queue" TEXT;

-- CreateIndex
CREATE INDEX "Analysis_queue_status_createdAt_idx" ON "Analysis"("queue", "status", "createdAt");

