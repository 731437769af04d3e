import mongoose from 'mongoose';

// The unit layer has no database: a query fails at once instead of waiting 10 s for a connection.
mongoose.set('bufferCommands', false);
