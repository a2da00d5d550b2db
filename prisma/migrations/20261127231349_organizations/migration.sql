-- AlterTable
ALTER TABLE "Post" ADD COLUMN     "organizationId" TEXT;

-- CreateTable
CREATE TABLE "Organization" (
    "id" TEXT NOT NULL,
    "clerkId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "clerkUpdatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Organization_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Membership" (
    "id" TEXT NOT NULL,
    "clerkId" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "clerkCreatedAt" TIMESTAMP(3) NOT NULL,
    "clerkUpdatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Membership_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeletedClerkOrganization" (
    "clerkId" TEXT NOT NULL,
    "deletedAt" TIMESTAMP(3) NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeletedClerkOrganization_pkey" PRIMARY KEY ("clerkId")
);

-- CreateTable
CREATE TABLE "DeletedClerkMembership" (
    "clerkId" TEXT NOT NULL,
    "deletedAt" TIMESTAMP(3) NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeletedClerkMembership_pkey" PRIMARY KEY ("clerkId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Organization_clerkId_key" ON "Organization"("clerkId");

-- CreateIndex
CREATE UNIQUE INDEX "Organization_slug_key" ON "Organization"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "Membership_clerkId_key" ON "Membership"("clerkId");

-- CreateIndex
CREATE INDEX "Membership_userId_idx" ON "Membership"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "Membership_organizationId_userId_key" ON "Membership"("organizationId", "userId");

-- CreateIndex
CREATE INDEX "Post_organizationId_createdAt_idx" ON "Post"("organizationId", "createdAt");

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "Post_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The sync of organizations and memberships: the same rules as users'
-- (docs/decisions/011, 012), one function per object type and change, and
-- one delivery function for every object type.

-- Timestamps inside a function's jsonb arguments: ISO 8601 in UTC.
CREATE FUNCTION clerk_utc(p_iso text) RETURNS timestamp(3)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT (p_iso::timestamptz AT TIME ZONE 'UTC')::timestamp(3) $$;

-- The slug of an organization whose slug a newer organization took: '~' is
-- never in a Clerk slug, the Clerk id keeps it unique. It holds until the
-- organization's own next version.
CREATE FUNCTION clerk_placeholder_slug(p_clerk_id text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT '~' || p_clerk_id $$;

-- One version of a Clerk organization, as clerk_apply_user_version does a
-- user: its advisory lock, its tombstone ('deleted'), its version ('stale'),
-- and a slug another row holds goes to whichever organization's data is
-- newer. Returns applied, stale or deleted.
CREATE FUNCTION clerk_apply_organization_version(p_clerk_id text, p_name text, p_slug text, p_version timestamp(3), p_row_id text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_slug text := p_slug;
  v_held timestamp(3);
  v_holder_id text;
  v_holder_clerk_id text;
  v_holder_slug text;
  v_holder_version timestamp(3);
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_clerk_id, 0));
  IF EXISTS (SELECT 1 FROM "DeletedClerkOrganization" WHERE "clerkId" = p_clerk_id) THEN
    RETURN 'deleted';
  END IF;
  SELECT "clerkUpdatedAt" INTO v_held FROM "Organization" WHERE "clerkId" = p_clerk_id;
  IF v_held >= p_version THEN
    RETURN 'stale';
  END IF;

  SELECT "id", "clerkId" INTO v_holder_id, v_holder_clerk_id FROM "Organization" WHERE "slug" = p_slug AND "clerkId" <> p_clerk_id;
  IF FOUND THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(v_holder_clerk_id, 0));
    SELECT "slug", "clerkUpdatedAt" INTO v_holder_slug, v_holder_version FROM "Organization" WHERE "id" = v_holder_id;
    IF FOUND AND v_holder_slug = p_slug THEN
      IF v_holder_version <= p_version THEN
        UPDATE "Organization" SET "slug" = clerk_placeholder_slug(v_holder_clerk_id), "updatedAt" = now() AT TIME ZONE 'UTC' WHERE "id" = v_holder_id;
      ELSE
        v_slug := clerk_placeholder_slug(p_clerk_id);
      END IF;
    END IF;
  END IF;

  INSERT INTO "Organization" ("id", "clerkId", "name", "slug", "clerkUpdatedAt", "createdAt", "updatedAt")
  VALUES (p_row_id, p_clerk_id, p_name, v_slug, p_version, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
  ON CONFLICT ("clerkId") DO UPDATE
    SET "name" = EXCLUDED."name", "slug" = EXCLUDED."slug", "clerkUpdatedAt" = EXCLUDED."clerkUpdatedAt", "updatedAt" = EXCLUDED."updatedAt"
    WHERE "Organization"."clerkUpdatedAt" < EXCLUDED."clerkUpdatedAt";
  RETURN CASE WHEN FOUND THEN 'applied' ELSE 'stale' END;
END
$$;

-- A Clerk organization deleted at p_deleted_at: a tombstone, and the row
-- goes with its memberships and its posts (cascades).
CREATE FUNCTION clerk_apply_organization_deletion(p_clerk_id text, p_deleted_at timestamp(3)) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_new_tombstone boolean;
  v_removed integer;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_clerk_id, 0));
  INSERT INTO "DeletedClerkOrganization" ("clerkId", "deletedAt", "recordedAt") VALUES (p_clerk_id, p_deleted_at, now() AT TIME ZONE 'UTC')
  ON CONFLICT ("clerkId") DO NOTHING;
  v_new_tombstone := FOUND;
  DELETE FROM "Organization" WHERE "clerkId" = p_clerk_id;
  GET DIAGNOSTICS v_removed = ROW_COUNT;
  RETURN CASE WHEN v_new_tombstone OR v_removed > 0 THEN 'applied' ELSE 'stale' END;
END
$$;

-- The lock of one user's place in one organization: every membership of
-- that pair, whatever its id, is applied under it.
CREATE FUNCTION clerk_lock_membership_pair(p_org_clerk_id text, p_user_clerk_id text) RETURNS void
LANGUAGE sql
AS $$ SELECT pg_advisory_xact_lock(hashtextextended(p_org_clerk_id || ':' || p_user_clerk_id, 0)) $$;

-- One version of a Clerk membership (docs/decisions/012):
-- - the organization it embeds is applied first, as any version of it is
--   (so a membership that arrives before its organization creates it); a
--   tombstoned organization, user or membership: 'deleted';
-- - the user's lock is taken shared, so a deletion of the user waits or
--   is waited for, never interleaves;
-- - no row for the user yet: 'missing_user', nothing written for the
--   membership; the caller fetches the user from Clerk and calls again;
-- - Clerk has one membership per user and organization at a time: of two
--   ids for one pair, the one created later is live and the other ended
--   (it is tombstoned);
-- - a version at or below the one the row holds: 'stale'.
CREATE FUNCTION clerk_apply_membership_version(
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
  PERFORM clerk_lock_membership_pair(p_org_clerk_id, p_user_clerk_id);
  IF clerk_apply_organization_version(p_org_clerk_id, p_org_name, p_org_slug, p_org_version, p_org_row_id) = 'deleted' THEN
    RETURN 'deleted';
  END IF;
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

-- A membership that ended at p_deleted_at (removed, or the user left): a
-- tombstone, and the row goes. 'stale' when it was all done before.
CREATE FUNCTION clerk_apply_membership_deletion(p_clerk_id text, p_org_clerk_id text, p_user_clerk_id text, p_deleted_at timestamp(3)) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_new_tombstone boolean;
  v_removed integer;
BEGIN
  PERFORM clerk_lock_membership_pair(p_org_clerk_id, p_user_clerk_id);
  INSERT INTO "DeletedClerkMembership" ("clerkId", "deletedAt", "recordedAt") VALUES (p_clerk_id, p_deleted_at, now() AT TIME ZONE 'UTC')
  ON CONFLICT ("clerkId") DO NOTHING;
  v_new_tombstone := FOUND;
  DELETE FROM "Membership" WHERE "clerkId" = p_clerk_id;
  GET DIAGNOSTICS v_removed = ROW_COUNT;
  RETURN CASE WHEN v_new_tombstone OR v_removed > 0 THEN 'applied' ELSE 'stale' END;
END
$$;

-- One change of one Clerk object, whatever its type: what the webhook,
-- just-in-time provisioning and reconcile all call. p_object is user,
-- organization or membership; p_action version or deletion; p_fields the
-- object's fields as the TypeScript mapping names them.
CREATE FUNCTION clerk_apply_change(p_object text, p_action text, p_fields jsonb, p_at timestamp(3)) RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
  CASE p_object || '.' || p_action
    WHEN 'user.version' THEN
      RETURN (SELECT v.outcome FROM clerk_apply_user_version(p_fields->>'clerkId', p_fields->>'email', p_fields->>'name', p_fields->>'firstName',
        p_fields->>'lastName', clerk_utc(p_fields->>'version'), p_fields->>'rowId') AS v);
    WHEN 'user.deletion' THEN
      RETURN clerk_apply_user_deletion(p_fields->>'clerkId', p_at);
    WHEN 'organization.version' THEN
      RETURN clerk_apply_organization_version(p_fields->>'clerkId', p_fields->>'name', p_fields->>'slug', clerk_utc(p_fields->>'version'), p_fields->>'rowId');
    WHEN 'organization.deletion' THEN
      RETURN clerk_apply_organization_deletion(p_fields->>'clerkId', p_at);
    WHEN 'membership.version' THEN
      RETURN clerk_apply_membership_version(p_fields->>'clerkId', p_fields->'organization'->>'clerkId', p_fields->>'userClerkId', p_fields->>'role',
        clerk_utc(p_fields->>'created'), clerk_utc(p_fields->>'version'), p_fields->>'rowId',
        p_fields->'organization'->>'name', p_fields->'organization'->>'slug', clerk_utc(p_fields->'organization'->>'version'), p_fields->'organization'->>'rowId');
    WHEN 'membership.deletion' THEN
      RETURN clerk_apply_membership_deletion(p_fields->>'clerkId', p_fields->'organization'->>'clerkId', p_fields->>'userClerkId', p_at);
    ELSE
      RAISE EXCEPTION 'clerk_apply_change: unknown change %.%', p_object, p_action;
  END CASE;
END
$$;

-- A webhook delivery of any handled object type, exactly once, in one
-- statement (as before, now for every object type): a copy processed before
-- answers 'duplicate' after one indexed read; otherwise the svix-id is
-- claimed, the change applied through clerk_apply_change, the outcome
-- recorded. 'missing_user' (a membership whose user we do not hold yet)
-- leaves the claim unprocessed and changes nothing else, for the caller to
-- fetch the user and call again. p_action 'ignore': a type we do not handle.
DROP FUNCTION clerk_process_delivery(text, text, timestamp(3), text, jsonb, text, boolean, text, text, text, text, timestamp(3), text);
CREATE FUNCTION clerk_process_delivery(
  p_svix_id text, p_type text, p_event_at timestamp(3), p_clerk_user_id text, p_payload jsonb,
  p_object text, p_action text, p_fields jsonb, p_force boolean)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_result text;
  v_outcome text;
  v_keep_payload boolean := true;
BEGIN
  IF p_force THEN
    UPDATE "WebhookDelivery" SET "processedAt" = NULL WHERE "svixId" = p_svix_id;
  ELSIF EXISTS (SELECT 1 FROM "WebhookDelivery" WHERE "svixId" = p_svix_id AND "processedAt" IS NOT NULL) THEN
    RETURN 'duplicate';
  END IF;
  INSERT INTO "WebhookDelivery" ("svixId", "type", "clerkUserId", "eventAt", "receivedAt", "outcome", "payload")
  VALUES (p_svix_id, p_type, p_clerk_user_id, p_event_at, now() AT TIME ZONE 'UTC', 'processing', p_payload)
  ON CONFLICT ("svixId") DO UPDATE SET "attempts" = "WebhookDelivery"."attempts" + 1, "receivedAt" = EXCLUDED."receivedAt"
  WHERE "WebhookDelivery"."processedAt" IS NULL;
  IF NOT FOUND THEN
    RETURN 'duplicate';
  END IF;

  IF p_action = 'ignore' THEN
    -- Answered 200, so Svix stops sending what we do not handle.
    v_result := 'ignored';
    v_keep_payload := false;
  ELSE
    v_result := clerk_apply_change(p_object, p_action, p_fields, p_event_at);
    IF v_result = 'missing_user' THEN
      RETURN v_result;
    END IF;
    -- A late event for a deleted object keeps no data.
    v_keep_payload := v_result <> 'deleted';
  END IF;
  v_outcome := CASE v_result WHEN 'applied' THEN 'applied' WHEN 'ignored' THEN 'ignored' ELSE 'stale' END;

  UPDATE "WebhookDelivery"
  SET "outcome" = v_outcome, "processedAt" = now() AT TIME ZONE 'UTC', "error" = NULL,
      "payload" = CASE WHEN v_keep_payload THEN "payload" ELSE NULL END
  WHERE "svixId" = p_svix_id;
  RETURN v_outcome;
END
$$;
