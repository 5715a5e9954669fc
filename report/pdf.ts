// SVG → PDF for the one-figure summary: the chart's own SVG (rendered headless by Vega, as for the
// PNG) drawn as vector paths and text into a one-page PDF the size of the figure. PDFKit writes
// the PDF (pure JavaScript, MIT, maintained); svg-to-pdfkit walks the SVG and issues PDFKit calls
// (pure JavaScript, MIT, no DOM needed, so `report` still runs on a bare server without a browser).
// Text is set in DejaVu Sans, embedded as a subset: the charts ask for it, it has every glyph they
// use (µ, −, ×, ≤) and Debian's fonts-dejavu-core ships it (setup.sh installs it).
import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';

const FONT_DIR = '/usr/share/fonts/truetype/dejavu';
const FONTS = { regular: `${FONT_DIR}/DejaVuSans.ttf`, bold: `${FONT_DIR}/DejaVuSans-Bold.ttf` } as const;

/** Width and height of an SVG from its root element's attributes (Vega writes both, in px). */
export function svgSize(svg: string): { width: number; height: number } {
  // Matches the root element Vega writes: <svg xmlns="…" class="marks" width="512" height="385" viewBox="0 0 512 385">
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const width = Number(/\swidth="([\d.]+)"/.exec(root)?.[1]);
  const height = Number(/\sheight="([\d.]+)"/.exec(root)?.[1]);
  if (!(width > 0 && height > 0)) throw new Error('the SVG has no width and height on its root element');
  return { width, height };
}

/** A one-page PDF of the SVG, 1 px = 1 pt (a 600 px wide chart is a 21 cm wide page), white background. */
export async function svgToPdf(svg: string, info: { title: string; subject?: string } = { title: 'bypassbench chart' }): Promise<Buffer> {
  for (const f of Object.values(FONTS)) {
    if (!existsSync(f)) throw new Error(`font ${f} not found: install Debian's fonts-dejavu-core (./setup.sh does)`);
  }
  const { width, height } = svgSize(svg);
  // Fixed dates keep the file the same for the same chart (PDFKit would stamp the current time).
  const epoch = new Date(0);
  const doc = new PDFDocument({
    size: [width, height],
    margin: 0,
    autoFirstPage: true,
    info: { Title: info.title, Subject: info.subject ?? '', Creator: 'bypassbench', Producer: 'PDFKit', CreationDate: epoch, ModDate: epoch },
  });
  doc.registerFont('body', FONTS.regular);
  doc.registerFont('body-bold', FONTS.bold);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.rect(0, 0, width, height).fill('#ffffff');
  const warnings: string[] = [];
  SVGtoPDF(doc, svg, 0, 0, {
    width,
    height,
    assumePt: true,
    fontCallback: (_family: string, bold: boolean) => (bold ? 'body-bold' : 'body'),
    warningCallback: (w: string) => warnings.push(w),
  });
  doc.end();
  const pdf = await done;
  if (warnings.length) throw new Error(`the SVG could not be converted faithfully: ${warnings.join('; ')}`);
  return pdf;
}
