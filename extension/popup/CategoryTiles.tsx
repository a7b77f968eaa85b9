/** Large tiles, one a category; arrow keys are not needed: Tab and Enter reach every tile. */
import { type ProblemCategory, problemCategories, problemCategoryLabels } from "../../shared";

export function CategoryTiles({ onPick }: { onPick: (category: ProblemCategory) => void }) {
  return (
    <fieldset class="pick">
      <legend>What is wrong?</legend>
      <div class="tiles">
        {problemCategories.map((category) => (
          <button type="button" class="tile" key={category} data-category={category} onClick={() => onPick(category)}>
            {problemCategoryLabels[category]}
          </button>
        ))}
      </div>
    </fieldset>
  );
}
