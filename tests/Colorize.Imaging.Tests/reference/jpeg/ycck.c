/*
 * Writes a YCCK JPEG (Adobe transform 2) with libjpeg, which neither cjpeg nor PIL can do.
 * The CMYK samples come from an RGB PPM as Photoshop stores them, inverted: C' = R, M' = G, Y' = B,
 * K' = 255 - k with k a made-up black channel (the darkest of the three, halved), so that the four components
 * differ. libjpeg converts them to YCCK itself (jpeg_set_colorspace(JCS_YCCK)).
 *
 *   gcc -O2 -o ycck ycck.c -ljpeg && ./ycck in.ppm out.jpg quality
 */
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

int main(int argc, char **argv)
{
  if (argc != 4) {
    fprintf(stderr, "usage: ycck in.ppm out.jpg quality\n");
    return 2;
  }
  FILE *in = fopen(argv[1], "rb");
  int width, height, maxval;
  if (!in || fscanf(in, "P6 %d %d %d", &width, &height, &maxval) != 3 || maxval != 255) {
    fprintf(stderr, "ycck: cannot read %s as an 8-bit binary PPM\n", argv[1]);
    return 1;
  }
  fgetc(in);
  unsigned char *rgb = malloc((size_t)width * height * 3);
  unsigned char *cmyk = malloc((size_t)width * height * 4);
  if (fread(rgb, 3, (size_t)width * height, in) != (size_t)width * height) {
    fprintf(stderr, "ycck: %s is truncated\n", argv[1]);
    return 1;
  }
  fclose(in);
  for (size_t i = 0; i < (size_t)width * height; i++) {
    unsigned char r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
    unsigned char darkest = 255 - (r > g ? (r > b ? r : b) : (g > b ? g : b));
    cmyk[4 * i] = r;
    cmyk[4 * i + 1] = g;
    cmyk[4 * i + 2] = b;
    cmyk[4 * i + 3] = (unsigned char)(255 - darkest / 2);
  }

  struct jpeg_compress_struct cinfo;
  struct jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  FILE *out = fopen(argv[2], "wb");
  if (!out) {
    fprintf(stderr, "ycck: cannot write %s\n", argv[2]);
    return 1;
  }
  jpeg_stdio_dest(&cinfo, out);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_set_colorspace(&cinfo, JCS_YCCK);
  jpeg_set_quality(&cinfo, atoi(argv[3]), TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = cmyk + (size_t)cinfo.next_scanline * width * 4;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  fclose(out);
  jpeg_destroy_compress(&cinfo);
  free(rgb);
  free(cmyk);
  return 0;
}
