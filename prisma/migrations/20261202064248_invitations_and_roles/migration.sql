-- AlterTable
ALTER TABLE "WebhookDelivery" ADD COLUMN     "clerkObjectId" TEXT;

-- CreateTable
CREATE TABLE "Invitation" (
    "id" TEXT NOT NULL,
    "clerkId" TEXT NOT NULL,
    "organizationClerkId" TEXT NOT NULL,
    "email" TEXT,
    "role" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3),
    "inviterClerkId" TEXT,
    "acceptedClerkUserId" TEXT,
    "clerkCreatedAt" TIMESTAMP(3) NOT NULL,
    "clerkUpdatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Invitation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrganizationRole" (
    "id" TEXT NOT NULL,
    "clerkId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "permissionIds" TEXT[],
    "clerkUpdatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OrganizationRole_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrganizationPermission" (
    "id" TEXT NOT NULL,
    "clerkId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "clerkUpdatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OrganizationPermission_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeletedClerkObject" (
    "clerkId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "deletedAt" TIMESTAMP(3) NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeletedClerkObject_pkey" PRIMARY KEY ("clerkId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Invitation_clerkId_key" ON "Invitation"("clerkId");

-- CreateIndex
CREATE INDEX "Invitation_organizationClerkId_status_idx" ON "Invitation"("organizationClerkId", "status");

-- CreateIndex
CREATE INDEX "Invitation_acceptedClerkUserId_idx" ON "Invitation"("acceptedClerkUserId");

-- CreateIndex
CREATE UNIQUE INDEX "OrganizationRole_clerkId_key" ON "OrganizationRole"("clerkId");

-- CreateIndex
CREATE UNIQUE INDEX "OrganizationRole_key_key" ON "OrganizationRole"("key");

-- CreateIndex
CREATE UNIQUE INDEX "OrganizationPermission_clerkId_key" ON "OrganizationPermission"("clerkId");

-- CreateIndex
CREATE UNIQUE INDEX "OrganizationPermission_key_key" ON "OrganizationPermission"("key");

-- CreateIndex
CREATE INDEX "WebhookDelivery_clerkObjectId_idx" ON "WebhookDelivery"("clerkObjectId");

-- Invitations, roles and permissions: synced by the same rules as users,
-- organizations and memberships (docs/decisions/011, 012, 015, 022): one
-- function per object type and change, called through clerk_apply_change;
-- per-object locks, Clerk's updated_at for order, tombstones for what Clerk
-- deleted.

-- One version of an organization invitation. Under its organization's lock
-- (shared: invitations of one organization apply side by side, but never
-- interleave with the organization's deletion), then its own. An
-- invitation that ended (accepted, revoked, expired) never becomes pending
-- again; Clerk reports an invitation past its expiry as expired without a
-- newer updated_at, so at the same version an ended status still applies.
-- The address is kept only while the invitation is pending: when it ends,
-- the row and the ledger's payloads of the invitation lose it.
CREATE FUNCTION clerk_apply_invitation_version(
  p_clerk_id text, p_org_clerk_id text, p_email text, p_role text, p_status text, p_expires_at timestamp(3),
  p_inviter text, p_accepted_user text, p_created timestamp(3), p_version timestamp(3), p_row_id text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_status text;
  v_version timestamp(3);
  v_ended boolean := p_status <> 'pending';
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtextextended(p_org_clerk_id, 0));
  IF EXISTS (SELECT 1 FROM "DeletedClerkOrganization" WHERE "clerkId" = p_org_clerk_id) THEN
    RETURN 'deleted';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended(p_clerk_id, 0));
  SELECT "status", "clerkUpdatedAt" INTO v_status, v_version FROM "Invitation" WHERE "clerkId" = p_clerk_id;
  IF FOUND THEN
    IF v_status <> 'pending' AND NOT v_ended THEN
      RETURN 'stale';
    END IF;
    IF v_version > p_version OR (v_version = p_version AND (v_status <> 'pending' OR NOT v_ended)) THEN
      RETURN 'stale';
    END IF;
  END IF;
  INSERT INTO "Invitation" ("id", "clerkId", "organizationClerkId", "email", "role", "status", "expiresAt", "inviterClerkId",
    "acceptedClerkUserId", "clerkCreatedAt", "clerkUpdatedAt", "createdAt", "updatedAt")
  VALUES (p_row_id, p_clerk_id, p_org_clerk_id, CASE WHEN v_ended THEN NULL ELSE p_email END, p_role, p_status, p_expires_at, p_inviter,
    p_accepted_user, p_created, p_version, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
  ON CONFLICT ("clerkId") DO UPDATE
    SET "email" = EXCLUDED."email", "role" = EXCLUDED."role", "status" = EXCLUDED."status", "expiresAt" = EXCLUDED."expiresAt",
        "inviterClerkId" = COALESCE(EXCLUDED."inviterClerkId", "Invitation"."inviterClerkId"),
        "acceptedClerkUserId" = COALESCE(EXCLUDED."acceptedClerkUserId", "Invitation"."acceptedClerkUserId"),
        "clerkUpdatedAt" = EXCLUDED."clerkUpdatedAt", "updatedAt" = EXCLUDED."updatedAt";
  IF v_ended THEN
    UPDATE "WebhookDelivery" SET "payload" = NULL WHERE "clerkObjectId" = p_clerk_id AND "payload" IS NOT NULL;
  END IF;
  RETURN 'applied';
END
$$;

-- One version of a permission. Keys are unique in Clerk; a key another row
-- holds goes to whichever permission's data is newer (the other holds a
-- placeholder until its own next version), as organizations' slugs do.
CREATE FUNCTION clerk_apply_permission_version(p_clerk_id text, p_key text, p_version timestamp(3), p_row_id text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_key text := p_key;
  v_held timestamp(3);
  v_holder_id text;
  v_holder_clerk_id text;
  v_holder_key text;
  v_holder_version timestamp(3);
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_clerk_id, 0));
  IF EXISTS (SELECT 1 FROM "DeletedClerkObject" WHERE "clerkId" = p_clerk_id) THEN
    RETURN 'deleted';
  END IF;
  SELECT "clerkUpdatedAt" INTO v_held FROM "OrganizationPermission" WHERE "clerkId" = p_clerk_id;
  IF v_held >= p_version THEN
    RETURN 'stale';
  END IF;
  SELECT "id", "clerkId" INTO v_holder_id, v_holder_clerk_id FROM "OrganizationPermission" WHERE "key" = p_key AND "clerkId" <> p_clerk_id;
  IF FOUND THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(v_holder_clerk_id, 0));
    SELECT "key", "clerkUpdatedAt" INTO v_holder_key, v_holder_version FROM "OrganizationPermission" WHERE "id" = v_holder_id;
    IF FOUND AND v_holder_key = p_key THEN
      IF v_holder_version <= p_version THEN
        UPDATE "OrganizationPermission" SET "key" = clerk_placeholder_slug(v_holder_clerk_id), "updatedAt" = now() AT TIME ZONE 'UTC' WHERE "id" = v_holder_id;
      ELSE
        v_key := clerk_placeholder_slug(p_clerk_id);
      END IF;
    END IF;
  END IF;
  INSERT INTO "OrganizationPermission" ("id", "clerkId", "key", "clerkUpdatedAt", "createdAt", "updatedAt")
  VALUES (p_row_id, p_clerk_id, v_key, p_version, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
  ON CONFLICT ("clerkId") DO UPDATE SET "key" = EXCLUDED."key", "clerkUpdatedAt" = EXCLUDED."clerkUpdatedAt", "updatedAt" = EXCLUDED."updatedAt";
  RETURN 'applied';
END
$$;

-- Memberships and invitations name their role by key, and Clerk moves them
-- along when a role's key changes, with no event of theirs: whenever one of
-- our role rows changes key, what held the old key follows. A key given up
-- to a newer role goes to the placeholder, which grants nothing, until the
-- role's own next version names its new key.
CREATE FUNCTION clerk_move_role_key(p_from text, p_to text) RETURNS void
LANGUAGE sql
AS $$
  UPDATE "Membership" SET "role" = p_to, "updatedAt" = now() AT TIME ZONE 'UTC' WHERE "role" = p_from AND p_from IS DISTINCT FROM p_to;
  UPDATE "Invitation" SET "role" = p_to, "updatedAt" = now() AT TIME ZONE 'UTC' WHERE "role" = p_from AND p_from IS DISTINCT FROM p_to;
$$;

-- One version of a role, with the permissions it embeds: each applied first
-- as any version of it is (so a role that arrives before its permissions
-- creates them), then the role, its key held as a permission's is, and
-- the memberships and invitations of a key it gave up moved with it.
CREATE FUNCTION clerk_apply_role_version(p_clerk_id text, p_key text, p_name text, p_permissions jsonb, p_version timestamp(3), p_row_id text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_key text := p_key;
  v_held timestamp(3);
  v_holder_id text;
  v_holder_clerk_id text;
  v_holder_key text;
  v_holder_version timestamp(3);
  v_permission jsonb;
  v_old_key text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_clerk_id, 0));
  IF EXISTS (SELECT 1 FROM "DeletedClerkObject" WHERE "clerkId" = p_clerk_id) THEN
    RETURN 'deleted';
  END IF;
  SELECT "clerkUpdatedAt", "key" INTO v_held, v_old_key FROM "OrganizationRole" WHERE "clerkId" = p_clerk_id;
  IF v_held >= p_version THEN
    RETURN 'stale';
  END IF;
  FOR v_permission IN SELECT value FROM jsonb_array_elements(p_permissions) ORDER BY value->>'clerkId' COLLATE "C" LOOP
    PERFORM clerk_apply_permission_version(v_permission->>'clerkId', v_permission->>'key', clerk_utc(v_permission->>'version'), v_permission->>'rowId');
  END LOOP;
  SELECT "id", "clerkId" INTO v_holder_id, v_holder_clerk_id FROM "OrganizationRole" WHERE "key" = p_key AND "clerkId" <> p_clerk_id;
  IF FOUND THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(v_holder_clerk_id, 0));
    SELECT "key", "clerkUpdatedAt" INTO v_holder_key, v_holder_version FROM "OrganizationRole" WHERE "id" = v_holder_id;
    IF FOUND AND v_holder_key = p_key THEN
      IF v_holder_version <= p_version THEN
        UPDATE "OrganizationRole" SET "key" = clerk_placeholder_slug(v_holder_clerk_id), "updatedAt" = now() AT TIME ZONE 'UTC' WHERE "id" = v_holder_id;
        PERFORM clerk_move_role_key(p_key, clerk_placeholder_slug(v_holder_clerk_id));
      ELSE
        v_key := clerk_placeholder_slug(p_clerk_id);
      END IF;
    END IF;
  END IF;
  PERFORM clerk_move_role_key(v_old_key, v_key);
  INSERT INTO "OrganizationRole" ("id", "clerkId", "key", "name", "permissionIds", "clerkUpdatedAt", "createdAt", "updatedAt")
  VALUES (p_row_id, p_clerk_id, v_key, p_name,
    ARRAY(SELECT value->>'clerkId' FROM jsonb_array_elements(p_permissions) ORDER BY 1),
    p_version, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
  ON CONFLICT ("clerkId") DO UPDATE
    SET "key" = EXCLUDED."key", "name" = EXCLUDED."name", "permissionIds" = EXCLUDED."permissionIds",
        "clerkUpdatedAt" = EXCLUDED."clerkUpdatedAt", "updatedAt" = EXCLUDED."updatedAt";
  RETURN 'applied';
END
$$;

-- A role or permission Clerk deleted: a tombstone, and the row goes. A
-- deleted permission leaves the roles that listed it (their lists name it,
-- but no row answers to it any more).
CREATE FUNCTION clerk_apply_object_deletion(p_kind text, p_clerk_id text, p_deleted_at timestamp(3)) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_new_tombstone boolean;
  v_removed integer;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_clerk_id, 0));
  INSERT INTO "DeletedClerkObject" ("clerkId", "kind", "deletedAt", "recordedAt") VALUES (p_clerk_id, p_kind, p_deleted_at, now() AT TIME ZONE 'UTC')
  ON CONFLICT ("clerkId") DO NOTHING;
  v_new_tombstone := FOUND;
  IF p_kind = 'role' THEN
    DELETE FROM "OrganizationRole" WHERE "clerkId" = p_clerk_id;
  ELSE
    DELETE FROM "OrganizationPermission" WHERE "clerkId" = p_clerk_id;
  END IF;
  GET DIAGNOSTICS v_removed = ROW_COUNT;
  RETURN CASE WHEN v_new_tombstone OR v_removed > 0 THEN 'applied' ELSE 'stale' END;
END
$$;

-- Whether a member (by our row ids) holds a permission in an organization,
-- from our copy of Clerk's roles: what every check inside a statement asks
-- (docs/decisions/022). A role we do not hold grants nothing.
CREATE FUNCTION clerk_member_has_permission(p_user_id text, p_organization_id text, p_permission text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT EXISTS (
    SELECT 1 FROM "Membership" m
    JOIN "OrganizationRole" r ON r."key" = m."role"
    JOIN "OrganizationPermission" p ON p."clerkId" = ANY (r."permissionIds")
    WHERE m."userId" = p_user_id AND m."organizationId" = p_organization_id AND p."key" = p_permission)
$$;

-- An organization deleted: as before, and its invitations go with it, their
-- addresses out of the ledger too.
CREATE OR REPLACE FUNCTION clerk_apply_organization_deletion(p_clerk_id text, p_deleted_at timestamp(3)) RETURNS text
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
  UPDATE "WebhookDelivery" SET "payload" = NULL
  WHERE "clerkObjectId" IN (SELECT "clerkId" FROM "Invitation" WHERE "organizationClerkId" = p_clerk_id) AND "payload" IS NOT NULL;
  DELETE FROM "Invitation" WHERE "organizationClerkId" = p_clerk_id;
  RETURN CASE WHEN v_new_tombstone OR v_removed > 0 THEN 'applied' ELSE 'stale' END;
END
$$;

-- A user deleted: as before, and any invitation to their address or that
-- they accepted loses the address, in its row and in the ledger.
CREATE OR REPLACE FUNCTION clerk_apply_user_deletion(p_clerk_id text, p_deleted_at timestamp(3)) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_new_tombstone boolean;
  v_removed integer;
  v_email text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_clerk_id, 0));
  INSERT INTO "DeletedClerkUser" ("clerkId", "deletedAt", "recordedAt") VALUES (p_clerk_id, p_deleted_at, now() AT TIME ZONE 'UTC')
  ON CONFLICT ("clerkId") DO NOTHING;
  v_new_tombstone := FOUND;
  DELETE FROM "User" WHERE "clerkId" = p_clerk_id RETURNING "email" INTO v_email;
  GET DIAGNOSTICS v_removed = ROW_COUNT;
  UPDATE "WebhookDelivery" SET "payload" = NULL, "error" = NULL
  WHERE "clerkUserId" = p_clerk_id AND "type" <> 'user.deleted' AND ("payload" IS NOT NULL OR "error" IS NOT NULL);
  UPDATE "WebhookDelivery" SET "payload" = NULL
  WHERE "clerkObjectId" IN (SELECT "clerkId" FROM "Invitation" WHERE "acceptedClerkUserId" = p_clerk_id OR "email" = v_email) AND "payload" IS NOT NULL;
  UPDATE "Invitation" SET "email" = NULL, "updatedAt" = now() AT TIME ZONE 'UTC'
  WHERE ("acceptedClerkUserId" = p_clerk_id OR "email" = v_email) AND "email" IS NOT NULL;
  DELETE FROM "RateLimitWindow" WHERE starts_with("key", p_clerk_id || ':');
  RETURN CASE WHEN v_new_tombstone OR v_removed > 0 THEN 'applied' ELSE 'stale' END;
END
$$;

-- One change of one Clerk object, whatever its type (now with invitations,
-- roles and permissions).
CREATE OR REPLACE FUNCTION clerk_apply_change(p_object text, p_action text, p_fields jsonb, p_at timestamp(3)) RETURNS text
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
    WHEN 'invitation.version' THEN
      RETURN clerk_apply_invitation_version(p_fields->>'clerkId', p_fields->>'organizationClerkId', p_fields->>'email', p_fields->>'role',
        p_fields->>'status', clerk_utc(p_fields->>'expiresAt'), p_fields->>'inviterClerkId', p_fields->>'acceptedClerkUserId',
        clerk_utc(p_fields->>'created'), clerk_utc(p_fields->>'version'), p_fields->>'rowId');
    WHEN 'role.version' THEN
      RETURN clerk_apply_role_version(p_fields->>'clerkId', p_fields->>'key', p_fields->>'name', p_fields->'permissions', clerk_utc(p_fields->>'version'), p_fields->>'rowId');
    WHEN 'permission.version' THEN
      RETURN clerk_apply_permission_version(p_fields->>'clerkId', p_fields->>'key', clerk_utc(p_fields->>'version'), p_fields->>'rowId');
    WHEN 'role.deletion', 'permission.deletion' THEN
      RETURN clerk_apply_object_deletion(p_object, p_fields->>'clerkId', p_at);
    ELSE
      RAISE EXCEPTION 'clerk_apply_change: unknown change %.%', p_object, p_action;
  END CASE;
END
$$;

-- The delivery function as before, now recording the object a delivery is
-- about (clerkObjectId), so that an invitation's deliveries can be erased
-- with its address.
DROP FUNCTION clerk_process_delivery(text, text, timestamp(3), text, jsonb, text, text, jsonb, boolean);
CREATE FUNCTION clerk_process_delivery(
  p_svix_id text, p_type text, p_event_at timestamp(3), p_clerk_user_id text, p_payload jsonb,
  p_object text, p_action text, p_fields jsonb, p_force boolean, p_object_id text)
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
  INSERT INTO "WebhookDelivery" ("svixId", "type", "clerkUserId", "clerkObjectId", "eventAt", "receivedAt", "outcome", "payload")
  VALUES (p_svix_id, p_type, p_clerk_user_id, p_object_id, p_event_at, now() AT TIME ZONE 'UTC', 'processing', p_payload)
  ON CONFLICT ("svixId") DO UPDATE SET "attempts" = "WebhookDelivery"."attempts" + 1, "receivedAt" = EXCLUDED."receivedAt",
    "clerkObjectId" = EXCLUDED."clerkObjectId"
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
