import type { Command } from 'commander';
import type { Invoke } from './define.js';

/** `build csv | json | text | custom`: turn data into a request file (issue 3). */
export function registerBuildCommands(_program: Command, _invoke: Invoke): void {}
