// Types for svg-to-pdfkit (the package ships none): the one function report/pdf.ts calls.
declare module 'svg-to-pdfkit' {
  interface SvgToPdfOptions {
    width?: number;
    height?: number;
    /** Treat SVG px as PDF pt (no 72/96 scaling). */
    assumePt?: boolean;
    /** Name of a font registered on the document for an SVG font-family and weight. */
    fontCallback?: (family: string, bold: boolean, italic: boolean, options: object) => string;
    warningCallback?: (warning: string) => void;
  }
  function SVGtoPDF(doc: PDFKit.PDFDocument, svg: string, x: number, y: number, options?: SvgToPdfOptions): void;
  export default SVGtoPDF;
}
