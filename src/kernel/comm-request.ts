/**
 * Reading one request of the fancyflow comm: the JSON limits every document has (no prototype
 * keys, bounded depth), then the protocol's schema. A request that fails gets a coded `PROTOCOL`
 * error whose text is bounded, and its id is echoed only when it is a valid one.
 */
import { FancyflowError, serializeIssues, type JsonValue } from '../core/errors';
import { checkJsonLimits } from '../core/json-limits';
import { MAX_ID_LENGTH, RequestSchema, type ParsedRequest } from '../protocol/messages';

/** The result of {@link parseCommRequest}. */
export type CommRequestParse =
  | { success: true; request: ParsedRequest }
  | {
      success: false;
      /** The id to answer with: the request's own when it is a valid id, else ''. */
      id: string;
      error: FancyflowError;
    };

/** The id of a malformed request, when it has a valid one. */
function requestId(data: unknown): string {
  const id = typeof data === 'object' && data !== null ? (data as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length <= MAX_ID_LENGTH ? id : '';
}

/**
 * Checks a comm message's data as a request.
 *
 * @example
 * const parsed = parseCommRequest(data);
 * if (!parsed.success) comm.send(replyError(parsed.id, parsed.error));
 */
export function parseCommRequest(data: unknown): CommRequestParse {
  try {
    checkJsonLimits(data, { code: 'PROTOCOL' });
  } catch (e) {
    return { success: false, id: requestId(data), error: e as FancyflowError };
  }
  const parsed = RequestSchema.safeParse(data);
  if (parsed.success) return { success: true, request: parsed.data };
  const issues = serializeIssues(parsed.error.issues);
  const first = issues[0];
  const error = new FancyflowError(
    'PROTOCOL',
    `Malformed fancyflow request: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'not an object'}`,
    { details: { issues: issues as unknown as JsonValue } },
  );
  return { success: false, id: requestId(data), error };
}
