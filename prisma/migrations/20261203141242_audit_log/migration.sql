-- AlterTable
ALTER TABLE "DeletedClerkUser" ADD COLUMN "auditPlaceholder" TEXT;

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "action" TEXT NOT NULL,
    "actorClerkUserId" TEXT NOT NULL,
    "impersonatorClerkUserId" TEXT,
    "organizationClerkId" TEXT,
    "targetType" TEXT,
    "targetId" TEXT,
    "details" JSONB,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AuditEvent_organizationClerkId_createdAt_id_idx" ON "AuditEvent"("organizationClerkId", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "AuditEvent_createdAt_idx" ON "AuditEvent"("createdAt");

-- CreateIndex
CREATE INDEX "AuditEvent_actorClerkUserId_idx" ON "AuditEvent"("actorClerkUserId");

-- CreateIndex
CREATE INDEX "AuditEvent_impersonatorClerkUserId_idx" ON "AuditEvent"("impersonatorClerkUserId");

-- CreateIndex
CREATE INDEX "AuditEvent_targetId_idx" ON "AuditEvent"("targetId");

-- A user deleted: as before (20261202183149_billing), and their identity
-- leaves the audit log: wherever they are the actor, the impersonator or the
-- target, their Clerk id is replaced by one placeholder, random per person
-- (the same for all of that person's events, derivable from nothing, kept
-- on their tombstone for events recorded later).
-- The placeholder comes first (one statement), so that every step below
-- names the same one.
CREATE OR REPLACE FUNCTION clerk_apply_user_deletion(p_clerk_id text, p_deleted_at timestamp(3)) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_new_tombstone boolean;
  v_removed integer;
  v_email text;
  v_placeholder text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_clerk_id, 0));
  -- The tombstone keeps the person's placeholder: the first erasure draws
  -- it, a repeated one (and an event recorded after it) reuses it.
  INSERT INTO "DeletedClerkUser" ("clerkId", "deletedAt", "recordedAt", "auditPlaceholder")
  VALUES (p_clerk_id, p_deleted_at, now() AT TIME ZONE 'UTC', 'erased_' || replace(gen_random_uuid()::text, '-', ''))
  ON CONFLICT ("clerkId") DO UPDATE SET "auditPlaceholder" = COALESCE("DeletedClerkUser"."auditPlaceholder", EXCLUDED."auditPlaceholder")
  RETURNING "auditPlaceholder", (xmax = 0) INTO v_placeholder, v_new_tombstone;
  DELETE FROM "User" WHERE "clerkId" = p_clerk_id RETURNING "email" INTO v_email;
  GET DIAGNOSTICS v_removed = ROW_COUNT;
  UPDATE "WebhookDelivery" SET "payload" = NULL, "error" = NULL
  WHERE "clerkUserId" = p_clerk_id AND "type" <> 'user.deleted' AND ("payload" IS NOT NULL OR "error" IS NOT NULL);
  UPDATE "WebhookDelivery" SET "payload" = NULL
  WHERE "clerkObjectId" IN (SELECT "clerkId" FROM "Invitation" WHERE "acceptedClerkUserId" = p_clerk_id OR "email" = v_email) AND "payload" IS NOT NULL;
  UPDATE "Invitation" SET "email" = NULL, "updatedAt" = now() AT TIME ZONE 'UTC'
  WHERE ("acceptedClerkUserId" = p_clerk_id OR "email" = v_email) AND "email" IS NOT NULL;
  DELETE FROM "BillingSubscriptionItem" WHERE "userClerkId" = p_clerk_id;
  DELETE FROM "BillingSubscription" WHERE "userClerkId" = p_clerk_id;
  DELETE FROM "RateLimitWindow" WHERE starts_with("key", p_clerk_id || ':');
  UPDATE "AuditEvent" SET
    "actorClerkUserId" = CASE WHEN "actorClerkUserId" = p_clerk_id THEN v_placeholder ELSE "actorClerkUserId" END,
    "impersonatorClerkUserId" = CASE WHEN "impersonatorClerkUserId" = p_clerk_id THEN v_placeholder ELSE "impersonatorClerkUserId" END,
    "targetId" = CASE WHEN "targetType" = 'user' AND "targetId" = p_clerk_id THEN v_placeholder ELSE "targetId" END
  WHERE "actorClerkUserId" = p_clerk_id OR "impersonatorClerkUserId" = p_clerk_id OR ("targetType" = 'user' AND "targetId" = p_clerk_id);
  RETURN CASE WHEN v_new_tombstone OR v_removed > 0 THEN 'applied' ELSE 'stale' END;
END
$$;
