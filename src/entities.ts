import { AuditEvent } from './shared/audit/audit-event.entity.js';
import { Agency } from './modules/agency/agency.entity.js';
import { Brand } from './modules/brand/brand.entity.js';
import { Trademark } from './modules/brand/trademark.entity.js';
import { Listing } from './modules/listing/listing.entity.js';
import { ApiKey } from './modules/principal/api-key.entity.js';
import { Principal } from './modules/principal/principal.entity.js';
import { SellerIdentifier } from './modules/seller/seller-identifier.entity.js';
import { Seller } from './modules/seller/seller.entity.js';

export const entities = [Brand, Trademark, Agency, Seller, SellerIdentifier, Listing, Principal, ApiKey, AuditEvent];
