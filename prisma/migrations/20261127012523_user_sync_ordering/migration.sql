-- AlterTable
ALTER TABLE "User" ADD COLUMN     "clerkUpdatedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "DeletedClerkUser" (
    "clerkId" TEXT NOT NULL,
    "deletedAt" TIMESTAMP(3) NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeletedClerkUser_pkey" PRIMARY KEY ("clerkId")
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "svixId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "clerkUserId" TEXT,
    "eventAt" TIMESTAMP(3),
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processedAt" TIMESTAMP(3),
    "outcome" TEXT NOT NULL,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "payload" JSONB NOT NULL,

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("svixId")
);

-- CreateIndex
CREATE INDEX "WebhookDelivery_outcome_receivedAt_idx" ON "WebhookDelivery"("outcome", "receivedAt");

-- CreateIndex
CREATE INDEX "WebhookDelivery_clerkUserId_idx" ON "WebhookDelivery"("clerkUserId");
