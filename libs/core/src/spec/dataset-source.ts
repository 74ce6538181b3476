import { z } from 'zod';

/** The file formats lth reads datasets from (libs/datasets; docs/models-and-data.md). */
export const DATASET_FORMATS = ['cifar-10', 'cifar-100', 'svhn', 'image-folder', 'idx'] as const;

export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/**
 * A dataset in files on a volume, named for campaigns (`tasks`, supervised pre-trainings). The same
 * list is a campaign's `datasets:` section and the data service's registry file (`--datasets FILE`).
 * Its own test files are the test split; `validation` examples are held out of train by a fixed seed.
 */
export const datasetSourceSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be lowercase letters, digits and dashes (max 63)'),
    format: z.enum(DATASET_FORMATS),
    /**
     * cifar-10: the extracted cifar-10-batches-bin directory; cifar-100: cifar-100-binary; svhn: a
     * directory with train_32x32.mat and test_32x32.mat; idx: train-/t10k-images-idx3-ubyte[.gz] and
     * labels; image-folder: train/<class>/*.png|jpg and test/<class>/...
     */
    path: z.string().min(1).max(4096),
    validation: z.number().int().min(0).max(1_000_000).default(5000),
    /** image-folder only (required there): every image is resized to cover this and center-cropped. */
    image: z
      .object({
        height: z.number().int().min(8).max(1024),
        width: z.number().int().min(8).max(1024),
        channels: z.union([z.literal(1), z.literal(3)]).default(3),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((d) => (d.format === 'image-folder') === (d.image !== undefined), {
    message: 'image (height, width, channels) is required for image-folder and only there',
    path: ['image'],
  });

export type DatasetSource = z.infer<typeof datasetSourceSchema>;

export const datasetSourcesSchema = z
  .array(datasetSourceSchema)
  .max(64)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((d, i) => {
      if (seen.has(d.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate name ${d.name}` });
      seen.add(d.name);
    });
  });
