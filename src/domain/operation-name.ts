/**
 * What an operation's resource name may be (AIP-151): a name in an `operations` collection, made of segments that
 * cannot traverse, and not one of the services whose "operations" are another kind of resource.
 *
 * Pure: safe to import from workflow code.
 */
import { InvalidArgumentError } from './invalid-argument';

/**
 * The characters of a segment: RFC 3986's unreserved ones, `=` (base64 padding in some IDs) and the parentheses of
 * Firestore's `(default)` database. None of them can traverse or end a path.
 */
const SEGMENT_RULE = /^[A-Za-z0-9._~=()-]+$/;

/**
 * Services whose `operations` collection is not google.longrunning, in Google's API catalogue
 * (`test/api-corpus.json`): GetOperation there answers another type, and their cancel is not this one. With
 * `parent`, only operations under that collection.
 */
const NOT_LONGRUNNING: readonly { service: string; parent?: string; why: string }[] = [
  { service: 'container.googleapis.com', why: "GKE's operations are its own type, not google.longrunning" },
  { service: 'sqladmin.googleapis.com', why: "Cloud SQL's operations are its own type, not google.longrunning" },
  { service: 'apihub.googleapis.com', parent: 'versions', why: "an API version's operations are the API's methods" },
];

/** Services whose resource names hold user data, where a collection or document may be called "operations". */
const USER_DATA: readonly { service: string; collection: string; why: string }[] = [
  { service: 'firestore.googleapis.com', collection: 'documents', why: 'a Firestore document is not an operation' },
];

/** Throws {@link InvalidArgumentError} unless every segment of `name` is one a resource name may hold. */
export function checkName(field: string, name: string): void {
  if (name === '') throw new InvalidArgumentError(field, 'must name an operation after the API version');
  for (const segment of name.split('/')) {
    if (segment === '')
      throw new InvalidArgumentError(field, 'must not contain empty path segments ("//" or a trailing "/")', name);
    if (segment === '.' || segment === '..') {
      throw new InvalidArgumentError(field, 'must not contain "." or ".." path segments', name);
    }
    if (!SEGMENT_RULE.test(segment)) {
      throw new InvalidArgumentError(field, 'path segments may hold only letters, digits and . _ ~ = - ( )', name);
    }
  }
}

/**
 * Throws {@link InvalidArgumentError} unless `name` names an operation (AIP-151): its last collection is
 * `operations` (`…/operations/{id}`, under any resource, singletons such as Vertex AI's `ragEngineConfig` included),
 * or it starts with `operations/` (dai's `operations/**`), or an `operations` collection standing where collections
 * stand (first, third, fifth… segment) is followed by an ID of several segments (Cloud Asset's
 * `…/operations/{type}/{id}`). A project, a secret or a Cloud Run execution is none of these: the worker never
 * cancels, or reads into history, anything but an operation.
 */
export function assertOperationName(field: string, name: string, service: string): void {
  const segments = name.split('/');
  const last = segments.length - 1;
  const at =
    segments[last - 1] === 'operations'
      ? last - 1
      : segments.findIndex((segment, i) => segment === 'operations' && i % 2 === 0 && i < last);
  if (at < 0) {
    throw new InvalidArgumentError(
      field,
      'must name a long-running operation: a resource name whose last collection is "operations" (…/operations/{id}), or that starts with operations/',
      name,
    );
  }
  const data = USER_DATA.find((rule) => rule.service === service && segments.includes(rule.collection));
  if (data) throw new InvalidArgumentError(field, `must name a long-running operation: ${data.why}`, name);
  const parent = at >= 2 ? segments[at - 2] : undefined;
  const other = NOT_LONGRUNNING.find((rule) => rule.service === service && (!rule.parent || rule.parent === parent));
  if (other) throw new InvalidArgumentError(field, `must name a google.longrunning operation: ${other.why}`, name);
}
