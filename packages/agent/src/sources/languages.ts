/** In preference order, so not sorted. */
export const languages = () => (navigator.languages?.length ? [...navigator.languages] : [navigator.language])
