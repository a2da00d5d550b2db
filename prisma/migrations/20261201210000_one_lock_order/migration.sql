-- One lock order for every change (docs/decisions/015): an organization's
-- lock, then the lock of one user's place in it (the pair), then the user's.
-- A membership version took the pair's lock before its organization's, so a
-- reconcile batch holding an organization (and waiting for a user further
-- on) and a webhook holding a pair of that organization (and waiting for the
-- organization) could wait on each other. A membership deletion takes only
-- its pair's lock, which keeps to the order; a user's version or deletion
-- takes only users' locks. Locks of two objects of one kind (an email or a
-- slug another row holds) can still meet in a cycle: PostgreSQL aborts one
-- statement after deadlock_timeout, and its caller runs it again.
--
-- And a delivery's failure is recorded under its user's lock, so that it
-- never puts back what the user's deletion erased (docs/decisions/008).

-- One version of a Clerk membership (docs/decisions/012):
-- - the organization's lock first, taken by applying the organization it
--   embeds as any version of it is applied (so a membership that arrives
--   before its organization creates it); a tombstoned organization,
--   user or membership: 'deleted';
-- - then the pair's lock, under which every membership of that user in
--   that organization, whatever its id, is applied;
-- - then the user's lock, shared, so a deletion of the user waits or is
--   waited for, never interleaves;
-- - no row for the user yet: 'missing_user', nothing written for the
--   membership; the caller fetches the user from Clerk and calls again;
-- - Clerk has one membership per user and organization at a time: of two
--   ids for one pair, the one created later is live and the other ended
--   (it is tombstoned);
-- - a version at or below the one the row holds: 'stale'.
CREATE OR REPLACE FUNCTION clerk_apply_membership_version(
  p_clerk_id text, p_org_clerk_id text, p_user_clerk_id text, p_role text, p_created timestamp(3), p_version timestamp(3), p_row_id text,
  p_org_name text, p_org_slug text, p_org_version timestamp(3), p_org_row_id text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_org_id text;
  v_user_id text;
  v_row_id text;
  v_row_clerk_id text;
  v_row_created timestamp(3);
  v_row_version timestamp(3);
BEGIN
  IF clerk_apply_organization_version(p_org_clerk_id, p_org_name, p_org_slug, p_org_version, p_org_row_id) = 'deleted' THEN
    RETURN 'deleted';
  END IF;
  PERFORM clerk_lock_membership_pair(p_org_clerk_id, p_user_clerk_id);
  PERFORM pg_advisory_xact_lock_shared(hashtextextended(p_user_clerk_id, 0));
  IF EXISTS (SELECT 1 FROM "DeletedClerkUser" WHERE "clerkId" = p_user_clerk_id)
     OR EXISTS (SELECT 1 FROM "DeletedClerkMembership" WHERE "clerkId" = p_clerk_id) THEN
    RETURN 'deleted';
  END IF;
  SELECT "id" INTO v_user_id FROM "User" WHERE "clerkId" = p_user_clerk_id;
  IF NOT FOUND THEN
    RETURN 'missing_user';
  END IF;
  SELECT "id" INTO v_org_id FROM "Organization" WHERE "clerkId" = p_org_clerk_id;

  SELECT "id", "clerkId", "clerkCreatedAt", "clerkUpdatedAt" INTO v_row_id, v_row_clerk_id, v_row_created, v_row_version
  FROM "Membership" WHERE "organizationId" = v_org_id AND "userId" = v_user_id;
  IF NOT FOUND THEN
    INSERT INTO "Membership" ("id", "clerkId", "organizationId", "userId", "role", "clerkCreatedAt", "clerkUpdatedAt", "createdAt", "updatedAt")
    VALUES (p_row_id, p_clerk_id, v_org_id, v_user_id, p_role, p_created, p_version, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC');
    RETURN 'applied';
  END IF;
  IF v_row_clerk_id = p_clerk_id THEN
    IF v_row_version >= p_version THEN
      RETURN 'stale';
    END IF;
    UPDATE "Membership" SET "role" = p_role, "clerkUpdatedAt" = p_version, "updatedAt" = now() AT TIME ZONE 'UTC' WHERE "id" = v_row_id;
    RETURN 'applied';
  END IF;
  IF (v_row_created, v_row_clerk_id) > (p_created, p_clerk_id) THEN
    -- The row's membership began later: this one had ended by then.
    INSERT INTO "DeletedClerkMembership" ("clerkId", "deletedAt", "recordedAt") VALUES (p_clerk_id, v_row_created, now() AT TIME ZONE 'UTC')
    ON CONFLICT ("clerkId") DO NOTHING;
    RETURN 'stale';
  END IF;
  INSERT INTO "DeletedClerkMembership" ("clerkId", "deletedAt", "recordedAt") VALUES (v_row_clerk_id, p_created, now() AT TIME ZONE 'UTC')
  ON CONFLICT ("clerkId") DO NOTHING;
  UPDATE "Membership"
  SET "clerkId" = p_clerk_id, "role" = p_role, "clerkCreatedAt" = p_created, "clerkUpdatedAt" = p_version, "updatedAt" = now() AT TIME ZONE 'UTC'
  WHERE "id" = v_row_id;
  RETURN 'applied';
END
$$;

-- A delivery whose processing failed (its transaction rolled back), recorded
-- as 'failed' for replay, unless another copy processed it meanwhile. Under
-- the user's lock, shared: a deletion of the user in flight is waited for,
-- and a user tombstoned by then keeps nothing of the delivery, neither its
-- payload nor the error text, which may quote it.
CREATE FUNCTION clerk_record_delivery_failure(
  p_svix_id text, p_type text, p_clerk_user_id text, p_event_at timestamp(3), p_error text, p_payload jsonb)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  v_erased boolean := false;
BEGIN
  IF p_clerk_user_id IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock_shared(hashtextextended(p_clerk_user_id, 0));
    v_erased := EXISTS (SELECT 1 FROM "DeletedClerkUser" WHERE "clerkId" = p_clerk_user_id);
  END IF;
  INSERT INTO "WebhookDelivery" ("svixId", "type", "clerkUserId", "eventAt", "receivedAt", "outcome", "error", "payload")
  VALUES (p_svix_id, p_type, p_clerk_user_id, p_event_at, now() AT TIME ZONE 'UTC', 'failed',
          CASE WHEN v_erased THEN NULL ELSE p_error END, CASE WHEN v_erased THEN NULL ELSE p_payload END)
  ON CONFLICT ("svixId") DO UPDATE
    SET "outcome" = 'failed', "error" = EXCLUDED."error",
        "payload" = CASE WHEN v_erased THEN NULL ELSE "WebhookDelivery"."payload" END
  WHERE "WebhookDelivery"."processedAt" IS NULL;
END
$$;
