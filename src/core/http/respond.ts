import type { Response } from "express";

/**
 * The one place success bodies are written, so every module answers alike:
 * a named envelope for one resource (`{"article": …}`), and a named list with
 * its total for offset pages (`{"articles": […], "articlesCount": 42}`).
 */
export const respond = {
  ok<T extends object>(res: Response, body: T): void {
    res.status(200).json(body);
  },

  created<T extends object>(res: Response, body: T): void {
    res.status(201).json(body);
  },

  noContent(res: Response): void {
    res.status(204).end();
  },

  /** An offset page: the items and the total number that match, not the page size. */
  page<K extends string, T>(res: Response, name: K, items: T[], total: number): void {
    res.status(200).json({ [name]: items, [`${name}Count`]: total });
  },
};
