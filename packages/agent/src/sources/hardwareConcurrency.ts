export const hardwareConcurrency = () => navigator.hardwareConcurrency ?? null
