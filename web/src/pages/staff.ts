// The supplier console (PRODUCT.md §11): one page, staff.html, served for
// every /{space}/staff/… path; the path's last segment picks the view.
import { startStaff } from '../staff/shell.ts';
import { customerView } from '../staff/views/customer.ts';
import { loginView } from '../staff/views/login.ts';
import { passwordView } from '../staff/views/password.ts';
import { searchView } from '../staff/views/search.ts';
import { auditView, rejectionsView } from '../staff/views/supervisor.ts';

void startStaff([loginView, passwordView, searchView, customerView, rejectionsView, auditView]);
