-- CreateTable
CREATE TABLE "ReconcileReport" (
    "id" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "result" TEXT NOT NULL,
    "instanceId" TEXT,
    "report" JSONB NOT NULL,

    CONSTRAINT "ReconcileReport_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ReconcileReport_finishedAt_idx" ON "ReconcileReport"("finishedAt");
