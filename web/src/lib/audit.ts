// How the company's audit log names who acted.
import { lang, translate, type Lang } from './i18n.ts';

/** customerService is the actor of the supplier's staff actions (PRODUCT.md §11). */
export const customerService = 'customer-service';

/** actorText names an audit entry's actor: staff actions read as the supplier's customer service, never as a person. */
export function actorText(actor: string, spaceName: string, l: Lang = lang()): string {
  return actor === customerService ? translate(l, 'audit.actor.customerService', { space: spaceName }) : actor;
}
