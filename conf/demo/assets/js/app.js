// lpweb demo icing: served from /+icing/rev<R>/js/app.js
(function () {
  'use strict';
  var marker = document.querySelector('[data-icing-revision]');
  if (marker) {
    marker.textContent = 'icing revision ' + marker.getAttribute('data-icing-revision') + ' loaded';
  }
  document.querySelectorAll('.bug').forEach(function (bug) {
    bug.addEventListener('click', function () { bug.classList.toggle('expanded'); });
  });
}());
