/** Where the registry lives: the user's data folder, or `CLAUDE_BATCH_HOME`. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Env } from '../api/client.js';

/**
 * The registry's folder: `$CLAUDE_BATCH_HOME`, else `$XDG_DATA_HOME/claude-batch`, else the
 * platform's data folder: `~/.local/share/claude-batch` (Linux and others), `~/Library/Application
 * Support/claude-batch` (macOS), `%LOCALAPPDATA%\claude-batch` (Windows).
 */
export function registryHome(
  env: Env,
  platform: NodeJS.Platform = process.platform,
  home: string = env.HOME?.trim() || homedir(),
): string {
  const own = env.CLAUDE_BATCH_HOME?.trim();
  if (own) return resolve(own);
  const xdg = env.XDG_DATA_HOME?.trim();
  if (xdg) return join(resolve(xdg), 'claude-batch');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'claude-batch');
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA?.trim();
    return join(local || join(home, 'AppData', 'Local'), 'claude-batch');
  }
  return join(home, '.local', 'share', 'claude-batch');
}
