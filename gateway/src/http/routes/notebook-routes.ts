import { Router } from 'express';
import { parseNotebook } from '../../runner/notebook';
import { declaredParameters } from '../../runner/parameters/declared-parameters';
import { parameterLanguage } from '../../runner/parameters/notebook-language';

/**
 * What Berth reads in a notebook, for a UI that prepares a run: the parameters the cell tagged
 * `parameters` declares (names, their source text, simple values), read exactly as a run injects
 * them, so a form prefilled from here and the run agree.
 *
 *   POST /api/berth/notebooks/parameters   body: an nbformat 4 notebook
 *   → { language: "python" | "r", parameters: [{ name, literal, value? }] }
 */
export function notebookRoutes(): Router {
  const router = Router();
  router.post('/api/berth/notebooks/parameters', (request, response) => {
    const notebook = parseNotebook(request.body, 'the request body');
    const language = parameterLanguage(notebook);
    response.json({ language, parameters: declaredParameters(notebook, language) });
  });
  return router;
}
