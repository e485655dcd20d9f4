/** `bench metrics` sub-command (placeholder until its issue lands). */
import type { Command } from 'commander';

export function register(_program: Command): void {}
