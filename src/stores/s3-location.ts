/**
 * `s3://bucket/prefix` store locations, and how the S3 client is configured: everything from the
 * AWS SDK's standard configuration (`AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, `AWS_REGION`, the
 * credential chain), so the same URL works with AWS, MinIO, Cloudflare R2 or s3rver. Light: no SDK
 * import here.
 */
import { FancyflowError } from '../core/errors';

/** The scheme of S3 store locations. */
export const S3_SCHEME = 's3://';

/** A bucket and a key prefix (empty, or ending with `/`). */
export interface S3Location {
  bucket: string;
  /** `''` or `a/b/` */
  prefix: string;
}

/** True when `spec` names an S3 store (`s3://…`). */
export function isS3Url(spec: string): boolean {
  return spec.startsWith(S3_SCHEME);
}

/** `s3://bucket/prefix` → bucket and prefix. Throws STORE_IO naming the URL when it is not one. */
export function parseS3Url(url: string): S3Location {
  const bad = (why: string) =>
    new FancyflowError('STORE_IO', `Not an S3 store location "${url}": ${why}`, {
      details: { url },
    });
  if (!isS3Url(url)) throw bad('it must start with s3://');
  const rest = url.slice(S3_SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  // bucket names: 3-63 lowercase letters, digits, dots and hyphens (S3's rules, also MinIO's and R2's)
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw bad(`"${bucket}" is not a bucket name (3-63 lowercase letters, digits, "." and "-")`);
  }
  const path = slash < 0 ? '' : rest.slice(slash + 1);
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '.' || p === '..')) throw bad('"." and ".." are not allowed');
  return { bucket, prefix: parts.length ? `${parts.join('/')}/` : '' };
}

/** The canonical URL of a location: `s3://bucket/prefix` (no trailing slash). */
export function formatS3Url(location: S3Location, key = ''): string {
  const tail = `${location.prefix}${key}`.replace(/\/$/, '');
  return `${S3_SCHEME}${location.bucket}${tail ? `/${tail}` : ''}`;
}

/**
 * Whether to address buckets by path (`http://host/bucket/key`) rather than by host name: yes when
 * an endpoint other than AWS's is configured (MinIO, R2, s3rver all accept paths; AWS prefers host
 * names). `AWS_S3_FORCE_PATH_STYLE=true|false` decides explicitly.
 */
export function usePathStyle(env: Readonly<Record<string, string | undefined>>): boolean {
  const forced = env.AWS_S3_FORCE_PATH_STYLE;
  if (forced === 'true' || forced === '1') return true;
  if (forced === 'false' || forced === '0') return false;
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return endpoint !== undefined && endpoint !== '' && !/\.amazonaws\.com/.test(endpoint);
}
