/** The API key the local emulators accept when none is given; printed by `kestrel emulate` */
export const DEFAULT_API_KEY = 'kestrel-emulator-key';
/** The API secret the local emulators accept when none is given; printed by `kestrel emulate` */
export const DEFAULT_API_SECRET = 'kestrel-emulator-secret';
