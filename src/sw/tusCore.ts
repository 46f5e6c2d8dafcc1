// tus-js-client's environment-neutral core for the worker bundle (vite.config.ts maps 'tus-js-client'
// here). Its browser build only adds defaults Tender always replaces (an XMLHttpRequest stack, its
// own file reader, a localStorage URL store, a fingerprint): the uploader passes its own fetch stack,
// Blob reader and fingerprint, and keeps upload URLs in its queue. Node and tests load the package.
import DetailedError from 'tus-js-client/lib.esm/error.js';
import BaseUpload from 'tus-js-client/lib.esm/upload.js';

type Options = ConstructorParameters<typeof BaseUpload>[1];

/** The core's upload with its protocol defaults filled in, as each build's entry point does. */
export class Upload extends BaseUpload {
  constructor(file: ConstructorParameters<typeof BaseUpload>[0], options: Options) {
    super(file, { ...coreDefaults, ...options });
  }
}

const coreDefaults = (BaseUpload as unknown as { defaultOptions: Options }).defaultOptions;

export { DetailedError };
