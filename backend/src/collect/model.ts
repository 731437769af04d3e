import { Schema, model } from 'mongoose';

export type { StoredEvent } from './event';

/** Daily salts for cookieless visitor ids; deleted after 48 hours so ids cannot be linked across days. */
const saltSchema = new Schema(
  {
    _id: { type: String, required: true }, // UTC day, YYYY-MM-DD
    value: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, strict: 'throw' },
);
export const Salt = model('Salt', saltSchema, 'salts');
