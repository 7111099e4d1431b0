import type { Router } from 'express';
import type { ApiServices } from '../services.js';
import { gateAdminRoutes, whyRoutes } from './admin-routes.js';
import { npmRegistryRoutes } from './npm-routes.js';
import { pypiRegistryRoutes } from './pypi-routes.js';
import { Gate, type GateConfig } from './service.js';

export interface GateHandle {
  gate: Gate;
  /** /registry/npm, /registry/pypi, /registry/why and /v1/gate. */
  routers: Router[];
  close(): Promise<void>;
}

/** The vetted registry on the API's port (see README "The vetted registry"). */
export function createGate(s: ApiServices, config: GateConfig): GateHandle {
  const gate = new Gate(s, config);
  return {
    gate,
    routers: [npmRegistryRoutes(gate), pypiRegistryRoutes(gate), whyRoutes(gate), gateAdminRoutes(gate)],
    close: () => gate.close(),
  };
}

export { Gate, type GateConfig } from './service.js';
export { gateOpenApi } from './openapi.js';
