export const pdfViewerEnabled = () => navigator.pdfViewerEnabled ?? null
