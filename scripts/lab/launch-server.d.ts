/** Types of launch-server.js for the TypeScript test harness. */
export interface LabServer {
  /** The lab URL, with `?token=` when a token is set. */
  url: string;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
  exited: Promise<{ code: number | null; signal: string | null }>;
}
export interface LabServerOptions {
  root: string;
  jupyterDir: string;
  appDir?: string;
  port?: number;
  token?: string;
  browserTest?: boolean;
  logFile?: string;
  timeoutMs?: number;
}
export function startLabServer(options: LabServerOptions): Promise<LabServer>;
export function installFancyflow(jupyterDir: string): string;
export function dataDirOf(jupyterDir: string): string;
