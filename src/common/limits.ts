// Limits of memcached's protocol that the store, the front ends and the watch log all apply.

/** The longest key memcached accepts (KEY_MAX_LENGTH): longer ones are refused on every protocol. */
export const KEY_MAX_LENGTH = 250;
