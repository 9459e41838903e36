import { registerEnumType } from 'type-graphql';

/** The kinds of government agency: here, below every module, because the settings hold a referral deadline per kind. */
export enum AgencyKind {
  PUBLIC_SECURITY = 'PUBLIC_SECURITY',
  MARKET_REGULATION = 'MARKET_REGULATION',
  CUSTOMS = 'CUSTOMS',
  IP_OFFICE = 'IP_OFFICE',
  PROSECUTOR = 'PROSECUTOR',
  OTHER = 'OTHER',
}
registerEnumType(AgencyKind, {
  name: 'AgencyKind',
  valuesConfig: {
    CUSTOMS: { description: 'Customs: goods crossing the border.' },
    IP_OFFICE: { description: 'An intellectual-property office.' },
    MARKET_REGULATION: { description: 'Market regulation (administration for market supervision).' },
    OTHER: { description: 'Any other agency.' },
    PROSECUTOR: { description: "A public prosecutor's office." },
    PUBLIC_SECURITY: { description: 'Police (public security bureau).' },
  },
  description: 'What kind of government agency it is.',
});
