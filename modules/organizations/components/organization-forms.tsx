'use client';

/**
 * The organization forms: create one, invite someone, revoke an invitation,
 * change a role, remove a member, leave, delete. Errors beside their fields or above the form
 * (announced: role="alert"), a pending state, a confirmation.
 */
import { useActionState, useState } from 'react';
import type { ActionState } from '@/modules/cores/actions/action-state';
import { FormError, FormMessage, inputClass, SubmitButton, TextField } from '@/modules/cores/ui/form-parts';
import { TypedConfirmationForm } from '@/modules/cores/ui/typed-confirmation-form';
import { DEFAULT_INVITE_ROLE, ORGANIZATION_NAME_MAX, ORGANIZATION_SLUG_MAX } from '../src/interfaces/organization.limits';

/** A role a person can be given: the instance's, as our copy holds them. */
export interface RoleOption {
  key: string;
  name: string;
}

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

const useAction = (action: Action) => useActionState(action, { status: 'idle' } as ActionState);

function Messages({ state }: { state: ActionState }) {
  if (state.status === 'error' && state.formError) return <FormError state={state} />;
  if (state.status === 'success') return <FormMessage tone="success">{state.message}</FormMessage>;
  return null;
}

export function CreateOrganizationForm({ action }: { action: Action }) {
  const [state, formAction, pending] = useAction(action);
  const errors = state.status === 'error' ? state.fieldErrors : undefined;
  const values = state.status === 'error' ? state.values : undefined;
  return (
    <form action={formAction} className="flex flex-col gap-4" noValidate>
      <Messages state={state} />
      <TextField id="organization-name" name="name" label="Name" hint={`Up to ${ORGANIZATION_NAME_MAX} characters.`} errors={errors?.name} defaultValue={values?.name ?? ''} maxLength={ORGANIZATION_NAME_MAX * 2} />
      <TextField
        id="organization-slug"
        name="slug"
        label="Address (optional)"
        hint={`Its page will be /orgs/<address>: lowercase letters, digits and dashes, up to ${ORGANIZATION_SLUG_MAX}. Left empty, Clerk makes one from the name.`}
        errors={errors?.slug}
        defaultValue={values?.slug ?? ''}
        autoComplete="off"
        maxLength={ORGANIZATION_SLUG_MAX * 2}
      />
      <div>
        <SubmitButton pending={pending} label="Create organization" pendingLabel="Creating…" />
      </div>
    </form>
  );
}

function RoleSelect({ id, roles, defaultValue, errors }: { id: string; roles: RoleOption[]; defaultValue: string; errors?: string[] }) {
  // A role we do not hold (yet) stays choosable as it is.
  const options = roles.some((role) => role.key === defaultValue) ? roles : [...roles, { key: defaultValue, name: defaultValue.replace(/^org:/, '') }];
  return (
    <>
      <select id={id} name="role" defaultValue={defaultValue} aria-invalid={Boolean(errors?.length)} aria-describedby={errors?.length ? `${id}-error` : undefined} className={inputClass}>
        {options.map((role) => (
          <option key={role.key} value={role.key}>
            {role.name}
          </option>
        ))}
      </select>
      {errors?.length ? (
        <p id={`${id}-error`} className="mt-1 text-sm text-red-700">
          {errors.join(' ')}
        </p>
      ) : null}
    </>
  );
}

/** Invite an address to join: the same answer whoever holds it. */
export function InviteForm({ action, organizationId, roles }: { action: Action; organizationId: string; roles: RoleOption[] }) {
  const [state, formAction, pending] = useAction(action);
  const errors = state.status === 'error' ? state.fieldErrors : undefined;
  const values = state.status === 'error' ? state.values : undefined;
  const formKey = state.status === 'success' ? state.at : 'form';
  return (
    <form key={formKey} action={formAction} className="flex flex-col gap-4" noValidate>
      <input type="hidden" name="organizationId" value={organizationId} />
      <Messages state={state} />
      <TextField
        id="invite-email"
        name="email"
        label="Email address"
        hint="Clerk emails them an invitation; with or without an account, they join when they accept it."
        errors={errors?.email}
        defaultValue={values?.email ?? ''}
        autoComplete="off"
        maxLength={640}
      />
      <div>
        <label htmlFor="invite-role" className="block text-sm font-medium text-slate-800">
          Role
        </label>
        <RoleSelect id="invite-role" roles={roles} defaultValue={values?.role ?? DEFAULT_INVITE_ROLE} errors={errors?.role} />
      </div>
      <div>
        <SubmitButton pending={pending} label="Send invitation" pendingLabel="Sending…" />
      </div>
    </form>
  );
}

/** A member's row controls: their role, and removing them. */
export function MemberControls({
  roleAction,
  removeAction,
  organizationId,
  membershipId,
  role,
  roles,
  name,
}: {
  roleAction: Action;
  removeAction: Action;
  organizationId: string;
  membershipId: string;
  role: string;
  roles: RoleOption[];
  name: string;
}) {
  const [roleState, roleFormAction, rolePending] = useAction(roleAction);
  const [removeState, removeFormAction, removePending] = useAction(removeAction);
  const [confirming, setConfirming] = useState(false);
  const selectId = `role-${membershipId}`;
  return (
    <div className="flex flex-col gap-2">
      <form action={roleFormAction} className="flex flex-wrap items-end gap-2" aria-label={`Role of ${name}`}>
        <input type="hidden" name="organizationId" value={organizationId} />
        <input type="hidden" name="membershipId" value={membershipId} />
        <div>
          <label htmlFor={selectId} className="sr-only">
            Role of {name}
          </label>
          <RoleSelect id={selectId} roles={roles} defaultValue={role} errors={roleState.status === 'error' ? roleState.fieldErrors?.role : undefined} />
        </div>
        <SubmitButton pending={rolePending} label="Change role" pendingLabel="Changing…" />
      </form>
      <Messages state={roleState} />
      {confirming ? (
        <form action={removeFormAction} className="flex flex-wrap items-center gap-2" aria-label={`Remove ${name}`}>
          <input type="hidden" name="organizationId" value={organizationId} />
          <input type="hidden" name="membershipId" value={membershipId} />
          <span className="text-sm text-slate-700">Remove {name} from the organization?</span>
          <SubmitButton pending={removePending} label="Yes, remove" pendingLabel="Removing…" tone="danger" />
          <button type="button" onClick={() => setConfirming(false)} className="rounded-md px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100">
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" onClick={() => setConfirming(true)} className="self-start rounded-md border border-red-300 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-indigo-600">
          Remove
        </button>
      )}
      <Messages state={removeState} />
    </div>
  );
}

export function LeaveOrganizationForm({ action, organizationId }: { action: Action; organizationId: string }) {
  const [state, formAction, pending] = useAction(action);
  return (
    <form action={formAction} className="flex flex-col gap-3">
      <input type="hidden" name="organizationId" value={organizationId} />
      <Messages state={state} />
      <div>
        <SubmitButton pending={pending} label="Leave organization" pendingLabel="Leaving…" tone="danger" />
      </div>
    </form>
  );
}

export function DeleteOrganizationForm({ action, organizationId, slug }: { action: Action; organizationId: string; slug: string }) {
  return <TypedConfirmationForm action={action} words={slug} submitLabel="Delete organization" hidden={{ organizationId }} />;
}

/** Revoke one pending invitation: its link refuses from then on. */
export function RevokeInvitationForm({ action, organizationId, invitationId, label }: { action: Action; organizationId: string; invitationId: string; label: string }) {
  const [state, formAction, pending] = useAction(action);
  return (
    <form action={formAction} className="flex flex-col gap-2" aria-label={`Revoke the invitation of ${label}`}>
      <input type="hidden" name="organizationId" value={organizationId} />
      <input type="hidden" name="invitationId" value={invitationId} />
      <div>
        <SubmitButton pending={pending} label="Revoke" pendingLabel="Revoking…" tone="danger" />
      </div>
      <Messages state={state} />
    </form>
  );
}
