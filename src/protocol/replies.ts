// Every reply and error line of the text front end (classic and meta commands), pre-encoded
// with its CRLF: memcached 1.6.18's exact bytes (checked against the Debian binary). Lines built
// at run time (numbers, VALUE headers) are assembled from the pieces at the end. The binary
// protocol's error texts are in binary/header.ts.

function line(text: string): Buffer {
  return Buffer.from(text + '\r\n', 'latin1');
}

export const REPLY_STORED = line('STORED');
export const REPLY_NOT_STORED = line('NOT_STORED');
export const REPLY_EXISTS = line('EXISTS');
export const REPLY_NOT_FOUND = line('NOT_FOUND');
export const REPLY_DELETED = line('DELETED');
export const REPLY_TOUCHED = line('TOUCHED');
export const REPLY_END = line('END');
export const REPLY_OK = line('OK');
export const REPLY_RESET = line('RESET');
export const REPLY_ERROR = line('ERROR');
export const REPLY_VERSION = line('VERSION 1.6.18');
export const REPLY_MN = line('MN');
export const REPLY_EN = line('EN');

export const ERR_BAD_FORMAT = line('CLIENT_ERROR bad command line format');
export const ERR_BAD_COMMAND_LINE = line('CLIENT_ERROR bad command line');
export const ERR_DELETE_USAGE = line('CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]');
export const ERR_BAD_DATA_CHUNK = line('CLIENT_ERROR bad data chunk');
export const ERR_INVALID_DELTA = line('CLIENT_ERROR invalid numeric delta argument');
export const ERR_NON_NUMERIC = line('CLIENT_ERROR cannot increment or decrement non-numeric value');
export const ERR_INVALID_EXPTIME = line('CLIENT_ERROR invalid exptime argument');
export const ERR_FLUSH_DISABLED = line('CLIENT_ERROR flush_all not allowed');
export const ERR_SHUTDOWN_DISABLED = line('ERROR: shutdown not enabled');
export const ERR_SHUTDOWN_MODE = line('CLIENT_ERROR invalid shutdown mode');
export const ERR_TOO_LARGE = line('SERVER_ERROR object too large for cache');
export const ERR_NO_MEMORY_STORING = line('SERVER_ERROR out of memory storing object');
export const ERR_NO_MEMORY = line('SERVER_ERROR out of memory');
export const ERR_OOM_NEW_ITEM = line('SERVER_ERROR Out of memory allocating new item');
export const ERR_OOM_GET_RESPONSE = line('SERVER_ERROR out of memory writing get response');
export const ERR_STATS_DETAIL_USAGE = line('CLIENT_ERROR usage: stats detail on|off|dump');
export const ERR_CACHEDUMP_DISABLED = line('CLIENT_ERROR stats cachedump not allowed');
export const ERR_ILLEGAL_SLAB_ID = line('CLIENT_ERROR Illegal slab id');
export const ERR_WATCH_DISABLED = line('CLIENT_ERROR watch commands not allowed');
export const ERR_WATCH_PIPELINE = line('ERROR cannot pipeline other commands before watch');
export const ERR_WATCHER_TOO_MANY = line('WATCHER_TOO_MANY log watcher limit reached');
export const ERR_WATCHER_FAILED = line('WATCHER_FAILED failed to add log watcher');
export const ERR_MEMLIMIT_TOO_SMALL = line('MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m');
export const ERR_MEMLIMIT_UNITS = line('MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes');
export const ERR_MEMLIMIT_FAILED = line('MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust');
export const ERR_SLAB_REASSIGN_DISABLED = line('CLIENT_ERROR slab reassignment disabled');
export const ERR_LRU_PCTS = line('ERROR hot and warm pcts must not exceed 80');
export const ERR_LRU_FACTORS = line('ERROR hot/warm age factors must be greater than 0');

// Meta commands and their flags.
export const ERR_DUPLICATE_FLAG = line('CLIENT_ERROR duplicate flag');
export const ERR_INVALID_FLAG = line('CLIENT_ERROR invalid flag');
export const ERR_INVALID_OR_DUP_FLAG = line('CLIENT_ERROR invalid or duplicate flag');
export const ERR_DECODING_KEY = line('CLIENT_ERROR error decoding key');
export const ERR_BAD_TOKEN = line('CLIENT_ERROR bad token in command line format');
export const ERR_M_LENGTH = line('CLIENT_ERROR incorrect length for M token');
export const ERR_BAD_INITIAL = line('CLIENT_ERROR invalid numeric initial value');
export const ERR_BAD_DELTA = line('CLIENT_ERROR invalid numeric delta value');
export const ERR_FLAGS_TOO_LONG_MG = line('CLIENT_ERROR options flags are too long');
export const ERR_FLAGS_TOO_LONG = line('CLIENT_ERROR options flags too long');
export const ERR_OPAQUE_TOO_LONG = line('CLIENT_ERROR opaque token too long');
export const ERR_MS_MODE = line('CLIENT_ERROR invalid mode for ms M token');
export const ERR_MA_MODE = line('CLIENT_ERROR invalid mode for ma M token');

// -Y ascii authentication.
export const ERR_UNAUTHENTICATED = line('CLIENT_ERROR unauthenticated');
export const ERR_AUTH_FAILURE = line('CLIENT_ERROR authentication failure');
export const ERR_AUTH_TOKEN_FORMAT = line('CLIENT_ERROR bad authentication token format');
export const ERR_AUTH_TERMINATION = line('CLIENT_ERROR bad command line termination');

// Pieces of run-time lines.
export const PIECE_STAT = Buffer.from('STAT ', 'latin1');

/** `slabs reassign` result words from Store.slabsReassign, with memcached's full lines. */
export const SLABS_REASSIGN_LINES: Readonly<Record<string, Buffer>> = {
  OK: line('OK'),
  BUSY: line('BUSY currently processing reassign request'),
  BADCLASS: line('BADCLASS invalid src or dst class id'),
  NOSPARE: line('NOSPARE source class has no spare pages'),
  SAME: line('SAME src and dst class are identical'),
  NOTFULL: line('NOTFULL source class has no spare pages'),
  UNSAFE: line('UNSAFE'),
};
