/** The instance and its keys: `GET /v1/jwks` (what the SDK verifies tokens with, without `jwtKey`) and `GET /v1/instance`. */
import type { EmulatorContext } from '../context';
import * as schema from '../contract/schemas';
import { backend, type Route } from '../router';

export function instanceRoutes(context: EmulatorContext): Route[] {
  return [
    backend('GET', '/v1/jwks', schema.jwks, () => ({ keys: [context.keys.jwk as schema.RsaPublicKey] })),
    backend('GET', '/v1/instance', schema.instance, () => ({
      object: 'instance' as const,
      id: context.instanceId,
      environment_type: 'development',
      allowed_origins: [context.appUrl],
      workspace_id: null,
    })),
  ];
}
