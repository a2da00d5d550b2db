-- CreateTable
CREATE TABLE "BillingPlan" (
    "id" TEXT NOT NULL,
    "clerkId" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "payerType" TEXT NOT NULL,
    "isDefault" BOOLEAN NOT NULL,
    "featureSlugs" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BillingPlan_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BillingSubscription" (
    "id" TEXT NOT NULL,
    "clerkId" TEXT NOT NULL,
    "payerClerkId" TEXT NOT NULL,
    "organizationClerkId" TEXT,
    "userClerkId" TEXT,
    "status" TEXT NOT NULL,
    "pastDueAt" TIMESTAMP(3),
    "clerkCreatedAt" TIMESTAMP(3) NOT NULL,
    "clerkUpdatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BillingSubscription_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BillingSubscriptionItem" (
    "id" TEXT NOT NULL,
    "clerkId" TEXT NOT NULL,
    "subscriptionClerkId" TEXT,
    "organizationClerkId" TEXT,
    "userClerkId" TEXT,
    "planClerkId" TEXT,
    "planSlug" TEXT,
    "planName" TEXT,
    "status" TEXT NOT NULL,
    "isFreeTrial" BOOLEAN NOT NULL,
    "periodStart" TIMESTAMP(3) NOT NULL,
    "periodEnd" TIMESTAMP(3),
    "clerkCreatedAt" TIMESTAMP(3) NOT NULL,
    "clerkUpdatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BillingSubscriptionItem_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "BillingPlan_clerkId_key" ON "BillingPlan"("clerkId");

-- CreateIndex
CREATE INDEX "BillingPlan_payerType_isDefault_idx" ON "BillingPlan"("payerType", "isDefault");

-- CreateIndex
CREATE UNIQUE INDEX "BillingSubscription_clerkId_key" ON "BillingSubscription"("clerkId");

-- CreateIndex
CREATE INDEX "BillingSubscription_organizationClerkId_idx" ON "BillingSubscription"("organizationClerkId");

-- CreateIndex
CREATE INDEX "BillingSubscription_userClerkId_idx" ON "BillingSubscription"("userClerkId");

-- CreateIndex
CREATE UNIQUE INDEX "BillingSubscriptionItem_clerkId_key" ON "BillingSubscriptionItem"("clerkId");

-- CreateIndex
CREATE INDEX "BillingSubscriptionItem_organizationClerkId_status_idx" ON "BillingSubscriptionItem"("organizationClerkId", "status");

-- CreateIndex
CREATE INDEX "BillingSubscriptionItem_userClerkId_idx" ON "BillingSubscriptionItem"("userClerkId");

-- CreateIndex
CREATE INDEX "BillingSubscriptionItem_subscriptionClerkId_idx" ON "BillingSubscriptionItem"("subscriptionClerkId");

-- Clerk Billing: subscriptions and their items synced by the rules of every
-- other Clerk object (docs/decisions/011, 012, 015, 023), and an
-- organization's plan read inside the statements its limits guard.
--
-- Lock order, after the organization's or user's (the payer's, shared: a
-- payer's deletion waits or is waited for, never interleaves): the
-- subscription's, under which its items are applied. A payer has one
-- subscription, so this is the payer's lock.

-- Whether a payer is gone: its organization or user deleted.
CREATE FUNCTION clerk_billing_payer_gone(p_org_clerk_id text, p_user_clerk_id text) RETURNS boolean
LANGUAGE sql STABLE
AS $$
  SELECT (p_org_clerk_id IS NOT NULL AND EXISTS (SELECT 1 FROM "DeletedClerkOrganization" WHERE "clerkId" = p_org_clerk_id))
      OR (p_user_clerk_id IS NOT NULL AND EXISTS (SELECT 1 FROM "DeletedClerkUser" WHERE "clerkId" = p_user_clerk_id))
$$;

-- The payer's lock, shared, and the subscription's (or, for an item whose
-- subscription nobody named yet, the item's own).
CREATE FUNCTION clerk_billing_lock(p_org_clerk_id text, p_user_clerk_id text, p_own_clerk_id text) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  IF p_org_clerk_id IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock_shared(hashtextextended(p_org_clerk_id, 0));
  ELSIF p_user_clerk_id IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock_shared(hashtextextended(p_user_clerk_id, 0));
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended(p_own_clerk_id, 0));
END
$$;

-- One version of a subscription item, its locks held by the caller. An item
-- that ended (ended, abandoned) never comes back; at one version an ending
-- still applies (as invitations' do). The payer is the item's, else its
-- subscription's.
CREATE FUNCTION clerk_apply_subscription_item_row(p_item jsonb, p_subscription_clerk_id text, p_org_clerk_id text, p_user_clerk_id text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_clerk_id text := p_item->>'clerkId';
  v_status text := p_item->>'status';
  v_version timestamp(3) := clerk_utc(p_item->>'version');
  v_held_status text;
  v_held_version timestamp(3);
  v_ended boolean := v_status IN ('ended', 'abandoned');
BEGIN
  SELECT "status", "clerkUpdatedAt" INTO v_held_status, v_held_version FROM "BillingSubscriptionItem" WHERE "clerkId" = v_clerk_id;
  IF FOUND THEN
    IF v_held_status IN ('ended', 'abandoned') AND NOT v_ended THEN
      RETURN 'stale';
    END IF;
    IF v_held_version > v_version OR (v_held_version = v_version AND (v_held_status IN ('ended', 'abandoned') OR NOT v_ended)) THEN
      RETURN 'stale';
    END IF;
  END IF;
  INSERT INTO "BillingSubscriptionItem" ("id", "clerkId", "subscriptionClerkId", "organizationClerkId", "userClerkId", "planClerkId", "planSlug",
    "planName", "status", "isFreeTrial", "periodStart", "periodEnd", "clerkCreatedAt", "clerkUpdatedAt", "createdAt", "updatedAt")
  VALUES (p_item->>'rowId', v_clerk_id, p_subscription_clerk_id, p_org_clerk_id, p_user_clerk_id, p_item->>'planClerkId', p_item->>'planSlug',
    p_item->>'planName', v_status, (p_item->>'isFreeTrial')::boolean, clerk_utc(p_item->>'periodStart'), clerk_utc(p_item->>'periodEnd'),
    clerk_utc(p_item->>'created'), v_version, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
  ON CONFLICT ("clerkId") DO UPDATE
    SET "subscriptionClerkId" = COALESCE(EXCLUDED."subscriptionClerkId", "BillingSubscriptionItem"."subscriptionClerkId"),
        "organizationClerkId" = COALESCE(EXCLUDED."organizationClerkId", "BillingSubscriptionItem"."organizationClerkId"),
        "userClerkId" = COALESCE(EXCLUDED."userClerkId", "BillingSubscriptionItem"."userClerkId"),
        "planClerkId" = COALESCE(EXCLUDED."planClerkId", "BillingSubscriptionItem"."planClerkId"),
        "planSlug" = COALESCE(EXCLUDED."planSlug", "BillingSubscriptionItem"."planSlug"),
        "planName" = COALESCE(EXCLUDED."planName", "BillingSubscriptionItem"."planName"),
        "status" = EXCLUDED."status", "isFreeTrial" = EXCLUDED."isFreeTrial", "periodStart" = EXCLUDED."periodStart",
        "periodEnd" = EXCLUDED."periodEnd", "clerkUpdatedAt" = EXCLUDED."clerkUpdatedAt", "updatedAt" = EXCLUDED."updatedAt";
  RETURN 'applied';
END
$$;

-- One subscription item on its own (a subscriptionItem.* event): its payer
-- as the event names it, else as its subscription row does.
CREATE FUNCTION clerk_apply_subscription_item_version(p_item jsonb) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_subscription text := p_item->>'subscriptionClerkId';
  v_org text := p_item->>'organizationClerkId';
  v_user text := p_item->>'userClerkId';
BEGIN
  IF v_org IS NULL AND v_user IS NULL AND v_subscription IS NOT NULL THEN
    SELECT "organizationClerkId", "userClerkId" INTO v_org, v_user FROM "BillingSubscription" WHERE "clerkId" = v_subscription;
  END IF;
  PERFORM clerk_billing_lock(v_org, v_user, COALESCE(v_subscription, p_item->>'clerkId'));
  IF clerk_billing_payer_gone(v_org, v_user) THEN
    RETURN 'deleted';
  END IF;
  RETURN clerk_apply_subscription_item_row(p_item, v_subscription, v_org, v_user);
END
$$;

-- One version of a subscription with the items it embeds, each applied by
-- its own version (an item may be newer than the subscription's version
-- that carries it, or older). A subscription of a deleted payer is gone,
-- with its items.
CREATE FUNCTION clerk_apply_subscription_version(p_fields jsonb) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_clerk_id text := p_fields->>'clerkId';
  v_org text := p_fields->>'organizationClerkId';
  v_user text := p_fields->>'userClerkId';
  v_version timestamp(3) := clerk_utc(p_fields->>'version');
  v_held timestamp(3);
  v_applied boolean := false;
  v_item jsonb;
BEGIN
  PERFORM clerk_billing_lock(v_org, v_user, v_clerk_id);
  IF clerk_billing_payer_gone(v_org, v_user) THEN
    DELETE FROM "BillingSubscriptionItem" WHERE "subscriptionClerkId" = v_clerk_id;
    DELETE FROM "BillingSubscription" WHERE "clerkId" = v_clerk_id;
    RETURN 'deleted';
  END IF;
  SELECT "clerkUpdatedAt" INTO v_held FROM "BillingSubscription" WHERE "clerkId" = v_clerk_id;
  IF v_held IS NULL OR v_held < v_version THEN
    INSERT INTO "BillingSubscription" ("id", "clerkId", "payerClerkId", "organizationClerkId", "userClerkId", "status", "pastDueAt",
      "clerkCreatedAt", "clerkUpdatedAt", "createdAt", "updatedAt")
    VALUES (p_fields->>'rowId', v_clerk_id, p_fields->>'payerClerkId', v_org, v_user, p_fields->>'status', clerk_utc(p_fields->>'pastDueAt'),
      clerk_utc(p_fields->>'created'), v_version, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
    ON CONFLICT ("clerkId") DO UPDATE
      SET "status" = EXCLUDED."status", "pastDueAt" = EXCLUDED."pastDueAt", "clerkUpdatedAt" = EXCLUDED."clerkUpdatedAt", "updatedAt" = EXCLUDED."updatedAt";
    v_applied := true;
  END IF;
  -- Items that arrived on their own before anyone named their payer.
  UPDATE "BillingSubscriptionItem" SET "organizationClerkId" = v_org, "userClerkId" = v_user, "updatedAt" = now() AT TIME ZONE 'UTC'
  WHERE "subscriptionClerkId" = v_clerk_id AND "organizationClerkId" IS NULL AND "userClerkId" IS NULL;
  FOR v_item IN SELECT value FROM jsonb_array_elements(p_fields->'items') ORDER BY value->>'clerkId' COLLATE "C" LOOP
    IF clerk_apply_subscription_item_row(v_item, v_clerk_id, v_org, v_user) = 'applied' THEN
      v_applied := true;
    END IF;
  END LOOP;
  RETURN CASE WHEN v_applied THEN 'applied' ELSE 'stale' END;
END
$$;

-- An organization's plan now, from our copy: the plan of its live item
-- (active, a free trial included; or canceled and still inside its paid
-- period), a paid one before the default; with no live item (never
-- subscribed, past due, ended), the default plan for organizations, if we
-- hold it. `known` is false when the live item names a plan we do not hold
-- (it grants nothing until the plans are read again).
CREATE FUNCTION clerk_organization_plan(p_org_clerk_id text)
RETURNS TABLE (plan_clerk_id text, slug text, name text, item_status text, is_free_trial boolean, period_end timestamp(3),
  is_default boolean, known boolean, features text[])
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT x.plan_clerk_id, x.slug, x.name, x.item_status, x.is_free_trial, x.period_end, x.is_default, x.known, x.features
  FROM (
    (SELECT 0 AS rank, i."planClerkId" AS plan_clerk_id, COALESCE(p."slug", i."planSlug") AS slug, COALESCE(p."name", i."planName") AS name,
        i."status" AS item_status, i."isFreeTrial" AS is_free_trial, i."periodEnd" AS period_end, COALESCE(p."isDefault", false) AS is_default,
        p."clerkId" IS NOT NULL AS known, COALESCE(p."featureSlugs", '{}') AS features
      FROM "BillingSubscriptionItem" i
      LEFT JOIN "BillingPlan" p ON p."clerkId" = i."planClerkId"
      WHERE i."organizationClerkId" = p_org_clerk_id
        AND (i."status" = 'active' OR (i."status" = 'canceled' AND i."periodEnd" > now() AT TIME ZONE 'UTC'))
      ORDER BY COALESCE(p."isDefault", false), i."periodStart" DESC, i."clerkId"
      LIMIT 1)
    UNION ALL
    (SELECT 1, p."clerkId", p."slug", p."name", NULL, false, NULL, true, true, p."featureSlugs"
      FROM "BillingPlan" p WHERE p."payerType" = 'org' AND p."isDefault"
      ORDER BY p."clerkId" LIMIT 1)
  ) x
  ORDER BY x.rank
  LIMIT 1
$$;

-- The features it grants: what every limit inside a statement asks.
CREATE FUNCTION clerk_organization_features(p_org_clerk_id text) RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT COALESCE((SELECT features FROM clerk_organization_plan(p_org_clerk_id)), '{}')
$$;

-- A post in an organization, by a member of it, within its plan: one call,
-- serialized per organization (its posts' lock, held to the end of the
-- statement's transaction), so that N writers against a limit of L store L.
-- Each statement inside sees what committed before it (READ COMMITTED takes a
-- snapshot per statement of a volatile function). The limits and the
-- features that lift them are the caller's (posts/post.limits.ts).
CREATE FUNCTION app_create_organization_post(
  p_id text, p_user_id text, p_organization_id text, p_title text, p_content text,
  p_max_posts integer, p_unlimited_posts text, p_max_content integer, p_long_posts text)
RETURNS TABLE (outcome text, id text, title text, content text, "createdAt" timestamp(3))
LANGUAGE plpgsql
AS $$
DECLARE
  v_org_clerk_id text;
  v_features text[];
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('posts:' || p_organization_id, 0));
  SELECT o."clerkId" INTO v_org_clerk_id FROM "Membership" m JOIN "Organization" o ON o."id" = m."organizationId"
  WHERE m."organizationId" = p_organization_id AND m."userId" = p_user_id;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_member'::text, NULL::text, NULL::text, NULL::text, NULL::timestamp(3);
    RETURN;
  END IF;
  v_features := clerk_organization_features(v_org_clerk_id);
  IF char_length(p_content) > p_max_content AND NOT (p_long_posts = ANY (v_features)) THEN
    RETURN QUERY SELECT 'too_long'::text, NULL::text, NULL::text, NULL::text, NULL::timestamp(3);
    RETURN;
  END IF;
  IF NOT (p_unlimited_posts = ANY (v_features)) AND (SELECT count(*) FROM "Post" WHERE "organizationId" = p_organization_id) >= p_max_posts THEN
    RETURN QUERY SELECT 'limit'::text, NULL::text, NULL::text, NULL::text, NULL::timestamp(3);
    RETURN;
  END IF;
  RETURN QUERY
    INSERT INTO "Post" AS p ("id", "userId", "organizationId", "title", "content")
    VALUES (p_id, p_user_id, p_organization_id, p_title, p_content)
    RETURNING 'created'::text, p."id", p."title", p."content", p."createdAt";
END
$$;

-- An organization deleted: as before (20261202064248), and its
-- subscription rows go with it.
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
  DELETE FROM "BillingSubscriptionItem" WHERE "organizationClerkId" = p_clerk_id;
  DELETE FROM "BillingSubscription" WHERE "organizationClerkId" = p_clerk_id;
  RETURN CASE WHEN v_new_tombstone OR v_removed > 0 THEN 'applied' ELSE 'stale' END;
END
$$;

-- A user deleted: as before (20261202064248), and their own subscription
-- rows go too (the ledger's payloads of them are erased with the user's,
-- by clerkUserId).
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
  DELETE FROM "BillingSubscriptionItem" WHERE "userClerkId" = p_clerk_id;
  DELETE FROM "BillingSubscription" WHERE "userClerkId" = p_clerk_id;
  DELETE FROM "RateLimitWindow" WHERE starts_with("key", p_clerk_id || ':');
  RETURN CASE WHEN v_new_tombstone OR v_removed > 0 THEN 'applied' ELSE 'stale' END;
END
$$;

-- One change of one Clerk object, whatever its type (now with subscriptions
-- and their items).
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
    WHEN 'subscription.version' THEN
      RETURN clerk_apply_subscription_version(p_fields);
    WHEN 'subscriptionItem.version' THEN
      RETURN clerk_apply_subscription_item_version(p_fields);
    WHEN 'role.deletion', 'permission.deletion' THEN
      RETURN clerk_apply_object_deletion(p_object, p_fields->>'clerkId', p_at);
    ELSE
      RAISE EXCEPTION 'clerk_apply_change: unknown change %.%', p_object, p_action;
  END CASE;
END
$$;
