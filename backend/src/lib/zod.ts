import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Schemas describe themselves for the OpenAPI document; import z from here so `.openapi()` exists.
extendZodWithOpenApi(z);

export { z };
