import type mongoose from 'mongoose';

/**
 * Every document, in any collection of `db`, that holds one of `needles` (a site's
 * id, its public id) anywhere: as an ObjectId, a string or inside JSON text.
 * Returns the collection and the start of each such document.
 */
export async function documentsNaming(db: mongoose.mongo.Db, ...needles: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
    for (const doc of await db.collection(name).find({}).toArray()) {
      const text = JSON.stringify(doc);
      if (needles.some((needle) => text.includes(needle))) found.push(`${name}: ${text.slice(0, 120)}`);
    }
  }
  return found;
}
