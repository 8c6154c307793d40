/** The subject page says, per service, whether the uses of the subject's data were lawful. */
import { ALICE, BOB, expect, logIn, test, translation } from "./fixtures";

test.describe("a data subject's flows, judged", () => {
  test("shows which services had a legal basis, and Flack had none", async ({ page }) => {
    await logIn(page, ALICE);
    const services = page.getByTestId("services");
    const status = (service: string) =>
      services
        .getByRole("row")
        .filter({ has: page.getByRole("rowheader", { name: service, exact: true }) });
    await expect(status("Newsletter")).toContainText(translation("en", "flowStatus.allowed"));
    await expect(status("Sign-up")).toContainText(translation("en", "flowStatus.allowed"));
    await expect(status("Flack")).toContainText(translation("en", "flowStatus.no-legal-basis"));
    await expect(page.getByText(translation("en", "me.judged"))).toBeVisible();
  });

  test("shows Bob his sign-up and CRM as allowed", async ({ page }) => {
    await logIn(page, BOB);
    const services = page.getByTestId("services");
    await expect(
      services.getByRole("cell", { name: translation("en", "flowStatus.allowed") }),
    ).toHaveCount(2);
  });
});
