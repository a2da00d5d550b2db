/** A project command as the README writes it (`npm run <script> -- …`), run without blocking this process (an emulator it talks to may live here). */
import { spawn } from 'node:child_process';
import { ROOT } from '../../scripts/lib/paths';

export interface ScriptResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runNpmScript(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<ScriptResult> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}
