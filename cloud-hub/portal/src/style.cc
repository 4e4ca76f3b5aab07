// The citizen site's one style sheet, served at <base>/static/portal.css. No build step: colours
// and spacing are picked by hand from the Digital Agency design system (デジタル庁デザインシステム;
// the tokens are published on npm as @digital-go-jp/design-tokens): text Sumi-900 #1a1a1c, links
// and primary buttons Blue-900 #0017c1 (hover Blue-1000 #00118f), error Red-800 #ce0000, focus
// Yellow-300 #ffd43d, borders Sumi-600 #767676, secondary text Sumi-700 #595959, tinted panels
// Blue-50 #e8f1fe and Sumi-100 #f1f1f4, spacing on a 0.25rem (4 px) grid.
// Contrast (WCAG 2.0 AA, 4.5:1): #1a1a1c on #fff 17.4:1, #0017c1 on #fff 11.1:1 and on #e8f1fe
// 9.9:1, #595959 on #fff 7.0:1, #ce0000 on #fff 5.9:1 and on #fdeeee 5.1:1, #fff on #0017c1
// 11.1:1, #1a1a1c on #ffd43d 13.4:1, #6b3d00 on #fff0b3 8.5:1.
// Relative units only and no fixed widths: pages reflow at 320 CSS px and at 200% zoom.
#include "assets.h"

namespace madoguchi::portal::detail {

std::string_view style_sheet() {
  static constexpr std::string_view kCss = R"(*, *::before, *::after { box-sizing: border-box; }
html { font-size: 100%; -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; color: #1a1a1c; background: #ffffff; line-height: 1.75; overflow-wrap: anywhere;
  font-family: "Noto Sans JP", "Hiragino Sans", "Hiragino Kaku Gothic ProN", "BIZ UDPGothic", Meiryo, sans-serif; }
a { color: #0017c1; text-underline-offset: 0.2em; }
a:hover { color: #00118f; text-decoration-thickness: 0.15em; }
:focus-visible { outline: 0.25rem solid #1a1a1c; outline-offset: 0.125rem; box-shadow: 0 0 0 0.5rem #ffd43d; }
a:focus, button:focus, input:focus, select:focus { outline: 0.25rem solid #1a1a1c; outline-offset: 0.125rem; }
main:focus { outline: none; }
.skip-link { position: absolute; left: 0.5rem; top: -10rem; z-index: 10; padding: 0.5rem 1rem;
  background: #ffd43d; color: #1a1a1c; font-weight: bold; }
.skip-link:focus { top: 0.5rem; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; margin: -1px; padding: 0;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.container { max-width: 48rem; margin: 0 auto; padding: 0 1rem; }
.site-header { border-bottom: 0.25rem solid #0017c1; padding: 0.75rem 0; }
.site-title { margin: 0; font-weight: bold; font-size: 1.125rem; }
.site-title a { color: #1a1a1c; text-decoration: none; }
.site-title a:hover { text-decoration: underline; }
.municipality { margin-right: 0.5rem; }
main { padding: 1.5rem 0 3rem; }
h1 { font-size: 1.75rem; line-height: 1.4; margin: 0 0 1.5rem; }
h2 { font-size: 1.375rem; line-height: 1.4; margin: 2rem 0 1rem; }
h3 { font-size: 1.125rem; margin: 1rem 0 0.5rem; }
.step { margin: 0 0 0.25rem; color: #595959; font-weight: bold; }
.field { margin: 0 0 1.5rem; padding: 0; border: 0; }
fieldset.field, fieldset.day, fieldset.person { min-width: 0; }
.field label, .field legend { display: block; font-weight: bold; margin-bottom: 0.25rem; }
.field .choice label { display: inline; font-weight: normal; }
.hint { margin: 0 0 0.5rem; color: #595959; }
.required, .optional { display: inline-block; margin-left: 0.5rem; padding: 0 0.5rem; font-size: 0.875rem; border-radius: 0.25rem; }
.required { background: #ce0000; color: #ffffff; }
.optional { border: 1px solid #595959; color: #595959; }
.input { display: block; width: 100%; max-width: 30rem; font: inherit; padding: 0.5rem 0.75rem;
  border: 0.0625rem solid #767676; border-radius: 0.5rem; background: #ffffff; color: #1a1a1c; }
.input--narrow { max-width: 8rem; }
select { font: inherit; padding: 0.5rem; border: 1px solid #767676; border-radius: 0.5rem; background: #fff; color: #1a1a1c; }
input[aria-invalid="true"] { border: 0.125rem solid #ce0000; }
.field-error { margin: 0 0 0.25rem; color: #ce0000; font-weight: bold; }
.choice { display: flex; align-items: flex-start; gap: 0.5rem; margin: 0.5rem 0; }
.choice input, .slots input { width: 1.5rem; height: 1.5rem; margin: 0.125rem 0 0; flex: none; }
fieldset.person, fieldset.day { border: 1px solid #767676; border-radius: 0.5rem; padding: 1rem; margin: 0 0 1.5rem; }
fieldset.person legend, fieldset.day legend { font-weight: bold; padding: 0 0.5rem; }
.slots { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.5rem; }
.slots li { display: flex; align-items: center; gap: 0.5rem; border: 1px solid #767676; border-radius: 0.5rem; padding: 0.5rem 0.75rem; }
.slot-closed { color: #595959; }
.fill { font-weight: bold; }
.button { display: inline-block; font: inherit; font-weight: bold; padding: 0.75rem 1.5rem; min-height: 3rem;
  border: 0.125rem solid #0017c1; border-radius: 0.5rem; background: #0017c1; color: #ffffff; text-decoration: none; cursor: pointer; }
.button:hover { background: #00118f; border-color: #00118f; color: #ffffff; text-decoration: underline; }
.button--secondary { background: #ffffff; color: #0017c1; }
.button--secondary:hover { background: #e8f1fe; color: #00118f; }
.actions { margin: 2rem 0 1.5rem; }
.error-summary { margin: 0 0 2rem; padding: 1rem 1.25rem; border: 0.1875rem solid #ce0000; border-radius: 0.5rem; background: #fdeeee; }
.error-summary h2 { margin: 0 0 0.5rem; color: #ce0000; font-size: 1.125rem; }
.error-summary a { color: #ce0000; font-weight: bold; }
.notice, .panel { margin: 0 0 1.5rem; padding: 1rem 1.25rem; border-left: 0.375rem solid #0017c1; background: #e8f1fe; }
.notice h2, .notice h3 { margin-top: 0; }
.notice--maintenance { border-left-color: #6b3d00; background: #fff0b3; color: #1a1a1c; }
.notice--maintenance h2 { color: #6b3d00; }
.notice-date { color: #1a1a1c; font-size: 0.875rem; margin: 0; }
.start-list, .action-list, .footer-links, .week-nav ul { list-style: none; margin: 0; padding: 0; }
.start-item { border: 1px solid #767676; border-radius: 0.5rem; padding: 1rem 1.25rem; margin: 0 0 1rem; }
.action-list li, .week-nav li { display: inline-block; margin: 0 0.75rem 0.75rem 0; }
.footer-links li { display: inline-block; margin-right: 1.5rem; }
.summary { margin: 0 0 1.5rem; border-top: 1px solid #767676; }
.summary-row { display: flex; flex-wrap: wrap; border-bottom: 1px solid #767676; padding: 0.5rem 0; }
.summary dt { font-weight: bold; flex: 0 0 12rem; max-width: 100%; }
.summary dd { margin: 0; flex: 1 1 14rem; }
.summary--large dd.secret { font-size: 1.5rem; font-weight: bold; letter-spacing: 0.1em; font-family: "BIZ UDGothic", monospace; }
.history { border-collapse: collapse; width: 100%; }
.history th, .history td { text-align: left; vertical-align: top; padding: 0.5rem; border-bottom: 1px solid #767676; }
.faq dt { font-weight: bold; margin-top: 1.5rem; }
.faq dd { margin: 0.25rem 0 0 1rem; }
.site-footer { border-top: 0.0625rem solid #767676; padding: 1rem 0 2rem; color: #595959; font-size: 0.875rem; }
.site-footer a { color: #0017c1; }
@media print {
  .skip-link, .site-footer, .action-list, .no-print, form, .week-nav { display: none !important; }
  body { font-size: 11pt; color: #000; }
  a { color: #000; text-decoration: none; }
  .container { max-width: none; padding: 0; }
  .panel, .notice { background: none; border: 1px solid #000; }
}
)";
  return kCss;
}

}  // namespace madoguchi::portal::detail
