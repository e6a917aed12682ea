/** The emulator's defaults, in a module of their own so that the CLI's help can show them cheaply. */

/** How long a batch takes to end when no processing time is given. */
export const DEFAULT_PROCESSING_MS = 2000;
