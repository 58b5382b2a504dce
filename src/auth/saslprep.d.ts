// Types for the `saslprep` package (it ships none). Remove if @types/saslprep is installed;
// an ambient declaration wins over it, so the two do not conflict.
declare module 'saslprep' {
  function saslprep(input: string, options?: { allowUnassigned?: boolean }): string;
  export = saslprep;
}
