-- CreateTable
CREATE TABLE "ReconcileSeen" (
    "runId" TEXT NOT NULL,
    "clerkId" TEXT NOT NULL,

    CONSTRAINT "ReconcileSeen_pkey" PRIMARY KEY ("runId","clerkId")
);
