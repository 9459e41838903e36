// The principal is declared in shared/ (the request context holds one); the principal module's own from here.
export { Principal } from '../../shared/auth/principal.entity.js';
