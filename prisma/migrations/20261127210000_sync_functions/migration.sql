-- The sync's rules, in the database (docs/decisions/011): applying a version of
-- a Clerk user, a deletion, or a whole webhook delivery is one function call,
-- one round trip. The webhook, just-in-time provisioning and reconcile all
-- call these; TypeScript only maps Clerk's JSON to the arguments.
--
-- Timestamps are `timestamp(3)` holding UTC, as Prisma writes them.

-- The address of a user without a usable email: `.invalid` reaches no one,
-- the Clerk id keeps it unique (docs/decisions/005). Same as placeholderEmail().
CREATE FUNCTION clerk_placeholder_email(p_clerk_id text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT lower(p_clerk_id) || '@no-email.invalid' $$;

-- One version of a Clerk user (its `updated_at` is p_version):
-- - holds a transaction-scoped advisory lock on the Clerk id, so that two
--   transactions never interleave one user;
-- - a tombstoned user is never written again (outcome 'deleted');
-- - a version at or below the one the row holds changes nothing ('stale');
-- - an email another row holds goes to whichever user's data is newer (a tie
--   goes to the version being applied); the loser keeps a placeholder;
-- - the write carries the version rule itself, lock or no lock.
-- A unique violation (two new users racing for one address) or a deadlock
-- (two users swapping addresses) aborts the statement; callers retry it.
CREATE FUNCTION clerk_apply_user_version(
  p_clerk_id text, p_email text, p_name text, p_first_name text, p_last_name text,
  p_version timestamp(3), p_row_id text,
  OUT outcome text, OUT created boolean)
LANGUAGE plpgsql
AS $$
DECLARE
  v_email text := p_email;
  v_held timestamp(3);
  v_holder_id text;
  v_holder_clerk_id text;
  v_holder_email text;
  v_holder_version timestamp(3);
BEGIN
  created := false;
  PERFORM pg_advisory_xact_lock(hashtextextended(p_clerk_id, 0));
  IF EXISTS (SELECT 1 FROM "DeletedClerkUser" WHERE "clerkId" = p_clerk_id) THEN
    outcome := 'deleted';
    RETURN;
  END IF;
  SELECT "clerkUpdatedAt" INTO v_held FROM "User" WHERE "clerkId" = p_clerk_id;
  IF v_held >= p_version THEN
    outcome := 'stale';
    RETURN;
  END IF;

  SELECT "id", "clerkId" INTO v_holder_id, v_holder_clerk_id FROM "User" WHERE "email" = p_email AND "clerkId" <> p_clerk_id;
  IF FOUND THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(v_holder_clerk_id, 0));
    -- Read again under the holder's lock: it may have moved on meanwhile.
    SELECT "email", "clerkUpdatedAt" INTO v_holder_email, v_holder_version FROM "User" WHERE "id" = v_holder_id;
    IF FOUND AND v_holder_email = p_email THEN
      -- Clerk keeps emails unique among live users: of two rows claiming one, the older data is stale.
      IF coalesce(v_holder_version, '-infinity') <= p_version THEN
        UPDATE "User" SET "email" = clerk_placeholder_email(v_holder_clerk_id), "updatedAt" = now() AT TIME ZONE 'UTC' WHERE "id" = v_holder_id;
      ELSE
        v_email := clerk_placeholder_email(p_clerk_id);
      END IF;
    END IF;
  END IF;

  INSERT INTO "User" ("id", "clerkId", "email", "name", "firstName", "lastName", "clerkUpdatedAt", "createdAt", "updatedAt")
  VALUES (p_row_id, p_clerk_id, v_email, p_name, p_first_name, p_last_name, p_version, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
  ON CONFLICT ("clerkId") DO UPDATE
    SET "email" = EXCLUDED."email", "name" = EXCLUDED."name", "firstName" = EXCLUDED."firstName", "lastName" = EXCLUDED."lastName",
        "clerkUpdatedAt" = EXCLUDED."clerkUpdatedAt", "updatedAt" = EXCLUDED."updatedAt"
    WHERE "User"."clerkUpdatedAt" IS NULL OR "User"."clerkUpdatedAt" < EXCLUDED."clerkUpdatedAt"
  RETURNING (xmax = 0) INTO created;
  IF FOUND THEN
    outcome := 'applied';
  ELSE
    outcome := 'stale';
    created := false;
  END IF;
END
$$;

-- A Clerk user deleted at p_deleted_at: keep a tombstone, delete the row
-- (posts cascade), and erase what else we hold of the person: payloads and
-- error texts of their deliveries (but the user.deleted ones, which hold
-- only the id) and their rate-limit counters (docs/decisions/008).
-- 'applied' when it changed anything, 'stale' when it was all done before.
CREATE FUNCTION clerk_apply_user_deletion(p_clerk_id text, p_deleted_at timestamp(3)) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_new_tombstone boolean;
  v_removed integer;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_clerk_id, 0));
  INSERT INTO "DeletedClerkUser" ("clerkId", "deletedAt", "recordedAt") VALUES (p_clerk_id, p_deleted_at, now() AT TIME ZONE 'UTC')
  ON CONFLICT ("clerkId") DO NOTHING;
  v_new_tombstone := FOUND;
  DELETE FROM "User" WHERE "clerkId" = p_clerk_id;
  GET DIAGNOSTICS v_removed = ROW_COUNT;
  UPDATE "WebhookDelivery" SET "payload" = NULL, "error" = NULL
  WHERE "clerkUserId" = p_clerk_id AND "type" <> 'user.deleted' AND ("payload" IS NOT NULL OR "error" IS NOT NULL);
  DELETE FROM "RateLimitWindow" WHERE starts_with("key", p_clerk_id || ':');
  RETURN CASE WHEN v_new_tombstone OR v_removed > 0 THEN 'applied' ELSE 'stale' END;
END
$$;

-- A webhook delivery, exactly once, in one statement. A copy that was
-- processed before answers 'duplicate' after one indexed read, writing
-- nothing (so its commit has nothing to flush). Otherwise the svix-id is
-- claimed first: a copy in flight elsewhere blocks on the claim until that
-- one commits (then this is a duplicate) or rolls back (then this one does
-- the work). p_action is what the event asks: 'version' (the user fields are
-- set), 'deletion' (p_clerk_user_id is set) or 'ignore'. p_force (replay)
-- processes a delivery again. Returns applied, stale, ignored or duplicate.
CREATE FUNCTION clerk_process_delivery(
  p_svix_id text, p_type text, p_event_at timestamp(3), p_clerk_user_id text, p_payload jsonb, p_action text, p_force boolean,
  p_email text, p_name text, p_first_name text, p_last_name text, p_version timestamp(3), p_row_id text)
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

  IF p_action = 'version' THEN
    SELECT v.outcome INTO v_result FROM clerk_apply_user_version(p_clerk_user_id, p_email, p_name, p_first_name, p_last_name, p_version, p_row_id) AS v;
    -- A late event for a deleted user keeps no data.
    v_keep_payload := v_result <> 'deleted';
  ELSIF p_action = 'deletion' THEN
    v_result := clerk_apply_user_deletion(p_clerk_user_id, p_event_at);
  ELSIF p_action = 'ignore' THEN
    -- Answered 200, so Svix stops sending what we do not handle.
    v_result := 'ignored';
    v_keep_payload := false;
  ELSE
    RAISE EXCEPTION 'clerk_process_delivery: unknown action %', p_action;
  END IF;
  v_outcome := CASE v_result WHEN 'applied' THEN 'applied' WHEN 'ignored' THEN 'ignored' ELSE 'stale' END;

  UPDATE "WebhookDelivery"
  SET "outcome" = v_outcome, "processedAt" = now() AT TIME ZONE 'UTC', "error" = NULL,
      "payload" = CASE WHEN v_keep_payload THEN "payload" ELSE NULL END
  WHERE "svixId" = p_svix_id;
  RETURN v_outcome;
END
$$;
