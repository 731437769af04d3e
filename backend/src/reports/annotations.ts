import { trusted, type Types } from 'mongoose';

import { AppError } from '../lib/errors';
import { Annotation, type AnnotationDoc } from './model';
import type { DayRange } from './range';

export type { AnnotationDoc } from './model';

export function toAnnotationView(a: AnnotationDoc) {
  return { id: a._id.toHexString(), day: a.day, text: a.text, author: a.author, createdAt: a.createdAt.toISOString() };
}

export async function listAnnotations(siteId: Types.ObjectId, range: DayRange): Promise<AnnotationDoc[]> {
  return Annotation.find({ siteId, day: trusted({ $gte: range.from, $lte: range.to }) })
    .sort({ day: 1, createdAt: 1 })
    .lean<AnnotationDoc[]>();
}

export async function createAnnotation(
  siteId: Types.ObjectId,
  day: string,
  text: string,
  author: string,
): Promise<AnnotationDoc> {
  if ((await Annotation.countDocuments({ siteId })) >= 10_000) throw new AppError('conflict', 'Too many annotations');
  return (await Annotation.create({ siteId, day, text, author })).toObject() as AnnotationDoc;
}

export async function deleteAnnotation(siteId: Types.ObjectId, annotationId: string): Promise<void> {
  const { deletedCount } = await Annotation.deleteOne({ _id: annotationId, siteId });
  if (!deletedCount) throw new AppError('not_found', 'Annotation not found');
}

export async function deleteAnnotationsForSite(siteId: Types.ObjectId): Promise<void> {
  await Annotation.deleteMany({ siteId });
}
