/** The local Google emulator: {@link GoogleEmulator} and the types of its options and records. */
export { GoogleEmulator } from './google-emulator';
export * from './types';
